// A conversation with one model that keeps its KV cache between turns. Each turn renders the
// whole conversation through the chat template (so the prompt is exactly what a fresh session
// would see), keeps the cached tokens it shares with that prompt, and prefills only the rest.
// The CLI's chat adds one user message a turn (send); the app's worker hands over the whole
// conversation each turn (answer), because the app may change it (regenerate drops the last
// reply, edit-and-resend rewrites a user message): whatever changed is simply not shared, so the
// cache is truncated to the common prefix instead of being thrown away.
import type { ChatMessage } from '../tokenizer/chat-template.ts';
import { templateEndOfTurnTokenId } from '../tokenizer/end-of-turn-token.ts';
import { encodeChatFoldingSystem } from '../tokenizer/system-message-folding.ts';
import type { TextTokenizer } from '../tokenizer/text-tokenizer.ts';
import { CachedSequence } from './cached-sequence.ts';
import { commonPrefixLength, groupIntoTurns, replyStopTokenIds } from './chat-turns.ts';
import { fitConversation } from './context-overflow.ts';
import type { OverflowPolicy } from './context-overflow.ts';
import { DEFAULT_MAX_NEW_TOKENS, generateInSequence } from './generate.ts';
import type { GenerationOptions, GenerationResult, TokenEvent } from './generate.ts';
import type { KvCacheKind } from './kv-cache.ts';
import type { LoadedModel } from './model-session.ts';

export interface ChatSessionOptions {
  systemPrompt?: string;
  /** Messages of an earlier conversation to continue (user/assistant, no system message). */
  history?: readonly ChatMessage[];
  /** Tokens the conversation may hold, reply included; see CachedSequence. */
  contextLength?: number;
  /** What to do when the conversation outgrows the context. Default 'truncate-middle'. */
  overflow?: OverflowPolicy;
  cache?: KvCacheKind;
  /** A sequence to hold the conversation in (one of a BatchedDecoder's), owned by the session from now on; else one of its own. */
  sequence?: CachedSequence;
  /** Defaults for every turn; a turn's own options override them. */
  generation?: GenerationOptions;
  /** Extra chat-template variables (e.g. enable_thinking). */
  templateVariables?: Record<string, unknown>;
}

/** A turn's generation options, and the overflow policy when it differs from the session's. */
export interface ChatTurnOptions extends GenerationOptions {
  overflow?: OverflowPolicy;
}

/**
 * Tokens kept free for the reply when the prompt is fitted into the context: the reply's token
 * limit, but at most half the context, because a reserve as long as the context (the app's
 * default 512 tokens on a 512-token model) would leave no room for any prompt.
 */
export function replyReserve(maxNewTokens: number, contextLength: number): number {
  return Math.min(maxNewTokens, Math.floor(contextLength / 2));
}

export interface ChatTurnResult extends GenerationResult {
  /** Prompt tokens whose KV came from the cache instead of being prefilled again. */
  reusedTokens: number;
  /** What the overflow policy left out of this turn's prompt (zeros when everything fit). */
  dropped: { turns: number; tokens: number };
}

export class ChatSession {
  readonly model: LoadedModel;
  readonly tokenizer: TextTokenizer;
  readonly systemPrompt: string | undefined;
  readonly overflow: OverflowPolicy;
  private readonly sequence: CachedSequence;
  private readonly history: ChatMessage[];
  private readonly defaults: GenerationOptions;
  private readonly templateVariables: Record<string, unknown> | undefined;
  /** The token the template ends an assistant turn with, which also ends a reply. */
  private readonly endOfTurnTokenId: number | null;
  private firstKeptTurn = 0;
  private busy = false;

  constructor(model: LoadedModel, tokenizer: TextTokenizer, options: ChatSessionOptions = {}) {
    if (!tokenizer.hasChatTemplate) {
      throw new Error(`${tokenizer.origin} has no chat template, so it cannot hold a conversation; use plain generation instead.`);
    }
    this.model = model;
    this.tokenizer = tokenizer;
    this.systemPrompt = options.systemPrompt;
    this.overflow = options.overflow ?? 'truncate-middle';
    this.sequence = options.sequence ?? new CachedSequence(model, { contextLength: options.contextLength, cache: options.cache });
    this.history = [...(options.history ?? [])];
    this.defaults = options.generation ?? {};
    this.templateVariables = options.templateVariables;
    this.endOfTurnTokenId = templateEndOfTurnTokenId(tokenizer);
  }

  get messages(): readonly ChatMessage[] {
    return this.history;
  }

  get contextLength(): number {
    return this.sequence.capacity;
  }

  /** Tokens currently cached. */
  get cachedTokens(): number {
    return this.sequence.length;
  }

  /**
   * Adds a user message and streams the reply. The user message and the reply (partial when
   * aborted) join the history when the turn ends; a turn that throws leaves the history as it was.
   */
  async *send(userText: string, options: ChatTurnOptions = {}, signal?: AbortSignal): AsyncGenerator<TokenEvent, ChatTurnResult, void> {
    return yield* this.answer([...this.history, { role: 'user', content: userText }], options, signal);
  }

  /**
   * Streams the reply to the last (user) message of `messages`, the whole conversation as it
   * stands now, which becomes the history with the reply appended when the turn ends. When it
   * does not extend the history (an edited or regenerated turn), the overflow policy starts over
   * from the first turn and only the tokens the cache shares with the new prompt are kept.
   */
  async *answer(messages: readonly ChatMessage[], options: ChatTurnOptions = {}, signal?: AbortSignal): AsyncGenerator<TokenEvent, ChatTurnResult, void> {
    if (this.busy) throw new Error('This chat session is already answering; wait for the reply or abort it first.');
    this.busy = true;
    try {
      const { overflow, ...generation } = options;
      const merged: GenerationOptions = { ...this.defaults, ...generation };
      const eosTokenIds = replyStopTokenIds(merged.eosTokenIds ?? this.model.spec.eosTokenIds, this.tokenizer.eosTokenId, this.endOfTurnTokenId);
      const firstKeptTurn = extendsHistory(messages, this.history) ? this.firstKeptTurn : 0;
      const fitted = fitConversation({
        policy: overflow ?? this.overflow,
        turns: groupIntoTurns(messages),
        firstKeptTurn,
        render: (turns) => this.render(turns.flat(), true),
        systemIds: this.systemPrompt === undefined ? [] : this.render([], false),
        contextLength: this.sequence.capacity,
        reserve: replyReserve(merged.maxNewTokens ?? DEFAULT_MAX_NEW_TOKENS, this.sequence.capacity),
      });

      // At least the prompt's last token is fed again: its logits give the first reply token.
      const shared = Math.min(commonPrefixLength(this.sequence.tokens, fitted.ids), fitted.ids.length - 1);
      const reusedTokens = this.sequence.truncate(shared);
      const result = yield* generateInSequence(this.sequence, this.tokenizer, fitted.ids.slice(reusedTokens), { ...merged, eosTokenIds }, signal);

      this.firstKeptTurn = fitted.firstKeptTurn;
      this.history.splice(0, this.history.length, ...messages, { role: 'assistant', content: result.text });
      return { ...result, reusedTokens, dropped: { turns: fitted.droppedTurns, tokens: fitted.droppedTokens } };
    } finally {
      this.busy = false;
    }
  }

  private render(messages: readonly ChatMessage[], addGenerationPrompt: boolean): number[] {
    return encodeChatFoldingSystem(this.tokenizer, messages, { addGenerationPrompt, systemPrompt: this.systemPrompt, variables: this.templateVariables });
  }

  dispose(): void {
    this.sequence.dispose();
  }
}

/** Whether `messages` starts with every message of `history`, unchanged. */
function extendsHistory(messages: readonly ChatMessage[], history: readonly ChatMessage[]): boolean {
  if (history.length > messages.length) return false;
  return history.every((m, i) => m.role === messages[i].role && m.content === messages[i].content);
}
