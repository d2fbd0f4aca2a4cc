// The KV cache of the active conversation, kept between turns in the worker. Like the engine's
// ChatSession, each turn renders the whole conversation through the chat template, keeps the
// cached tokens it shares with that prompt and prefills only the rest; unlike it, the history
// comes with every request, because the app may change it (regenerate drops the last reply,
// edit-and-resend rewrites a user message). Whatever changed is simply not shared, so the cache
// is truncated to the common prefix instead of being thrown away.
import type { ChatParams } from '../common/contracts/chat.ts';
import { CachedSequence, contextLengthFor } from '../engine/runtime/cached-sequence.ts';
import { fitConversation } from '../engine/runtime/context-overflow.ts';
import { generateInSequence } from '../engine/runtime/generate.ts';
import type { GenerationResult, TokenEvent } from '../engine/runtime/generate.ts';
import { ModelLoadError } from '../engine/runtime/model-session.ts';
import type { LoadedModel } from '../engine/runtime/model-session.ts';
import type { ChatMessage } from '../engine/tokenizer/chat-template.ts';
import type { TextTokenizer } from '../engine/tokenizer/text-tokenizer.ts';
import type { WorkerChatMessage } from './worker-protocol.ts';
import { commonPrefixLength, groupIntoTurns, replyStopTokenIds } from '../engine/runtime/chat-turns.ts';

export interface ConversationTurn {
  conversationId: string;
  systemPrompt: string | null;
  /** The conversation so far, ending with the user message to answer. */
  messages: readonly WorkerChatMessage[];
  params: ChatParams;
  seed?: number;
}

export interface ConversationTurnResult extends GenerationResult {
  /** Prompt tokens whose KV came from the cache instead of being prefilled again. */
  reusedTokens: number;
  /** What the overflow policy left out of this turn's prompt. */
  dropped: { turns: number; tokens: number };
}

export class ConversationCache {
  private readonly model: LoadedModel;
  private readonly tokenizer: TextTokenizer;
  private sequence: CachedSequence | null = null;
  private conversationId: string | null = null;
  /** The last turn's messages with its reply: a next turn that extends them keeps what the overflow policy dropped. */
  private lastMessages: ChatMessage[] = [];
  private lastSystemPrompt: string | undefined;
  private firstKeptTurn = 0;

  constructor(model: LoadedModel, tokenizer: TextTokenizer) {
    if (!tokenizer.hasChatTemplate) {
      throw new ModelLoadError(`${tokenizer.origin} has no chat template, so Hearth cannot chat with it. Add chat_template to tokenizer_config.json, or a chat_template.jinja.`);
    }
    this.model = model;
    this.tokenizer = tokenizer;
  }

  /** Tokens cached now. */
  get cachedTokens(): number {
    return this.sequence?.length ?? 0;
  }

  async *answer(turn: ConversationTurn, signal?: AbortSignal): AsyncGenerator<TokenEvent, ConversationTurnResult, void> {
    const { params } = turn;
    const capacity = contextLengthFor(this.model, Math.min(params.contextLength, this.model.spec.contextLength));
    const sequence = this.sequenceFor(turn.conversationId, capacity);
    const systemPrompt = turn.systemPrompt === null || turn.systemPrompt === '' ? undefined : turn.systemPrompt;
    const messages: ChatMessage[] = turn.messages.map((m) => ({ role: m.role, content: m.content }));
    if (systemPrompt !== this.lastSystemPrompt || !startsWith(messages, this.lastMessages)) this.firstKeptTurn = 0;

    const render = (list: readonly ChatMessage[], addGenerationPrompt: boolean) => this.tokenizer.encodeChat(list, { addGenerationPrompt, systemPrompt });
    // A reply may take at most half the context: a reserve as long as the context (the default
    // 512 tokens on a 512-token model) would leave no room for any prompt.
    const reserve = Math.min(params.maxTokens, Math.floor(capacity / 2));
    const fitted = fitConversation({
      policy: params.overflow,
      turns: groupIntoTurns(messages),
      firstKeptTurn: this.firstKeptTurn,
      render: (turns) => render(turns.flat(), true),
      systemIds: systemPrompt === undefined ? [] : render([], false),
      contextLength: capacity,
      reserve,
    });

    // At least the prompt's last token is fed again: its logits give the first reply token.
    const shared = Math.min(commonPrefixLength(sequence.tokens, fitted.ids), fitted.ids.length - 1);
    const reusedTokens = sequence.truncate(shared);
    const result = yield* generateInSequence(
      sequence,
      this.tokenizer,
      fitted.ids.slice(reusedTokens),
      {
        maxNewTokens: params.maxTokens,
        temperature: params.temperature,
        topP: params.topP,
        seed: turn.seed,
        eosTokenIds: replyStopTokenIds(this.model.spec.eosTokenIds, this.tokenizer.eosTokenId),
      },
      signal,
    );
    this.firstKeptTurn = fitted.firstKeptTurn;
    this.lastSystemPrompt = systemPrompt;
    this.lastMessages = [...messages, { role: 'assistant', content: result.text }];
    return { ...result, reusedTokens, dropped: { turns: fitted.droppedTurns, tokens: fitted.droppedTokens } };
  }

  dispose(): void {
    this.sequence?.dispose();
    this.sequence = null;
    this.conversationId = null;
    this.lastMessages = [];
    this.firstKeptTurn = 0;
  }

  /** The cache for this conversation: kept when it is the cached one at the same context length, else made anew. */
  private sequenceFor(conversationId: string, capacity: number): CachedSequence {
    if (this.sequence && this.conversationId === conversationId && this.sequence.capacity === capacity) return this.sequence;
    this.dispose();
    this.sequence = new CachedSequence(this.model, { contextLength: capacity });
    this.conversationId = conversationId;
    return this.sequence;
  }

}

function startsWith(list: readonly ChatMessage[], prefix: readonly ChatMessage[]): boolean {
  if (prefix.length > list.length) return false;
  return prefix.every((m, i) => m.role === list[i].role && m.content === list[i].content);
}
