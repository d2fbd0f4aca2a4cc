// The KV caches of the conversations, kept between turns in the worker: one engine ChatSession
// (main/engine/runtime/chat-session.ts) per conversation answering now, plus the last one that
// answered, each answering with the whole conversation each turn because the app may change it
// between turns. A session holds one conversation at one context length and system prompt; when
// the request names another, the session is made anew. Sessions hold BatchedDecoder sequences,
// so conversations answered at once decode together.
import type { ChatParams } from '../common/contracts/chat.ts';
import { BatchedDecoder } from '../engine/runtime/batched-decoder.ts';
import { contextLengthFor } from '../engine/runtime/cached-sequence.ts';
import { ChatSession } from '../engine/runtime/chat-session.ts';
import type { ChatTurnResult } from '../engine/runtime/chat-session.ts';
import type { TokenEvent } from '../engine/runtime/generate.ts';
import type { LoadedModel } from '../engine/runtime/model-session.ts';
import type { TextTokenizer } from '../engine/tokenizer/text-tokenizer.ts';
import { ChatTemplateError } from '../engine/tokenizer/chat-template.ts';
import type { WorkerChatMessage } from './worker-protocol.ts';

export interface ConversationTurn {
  conversationId: string;
  systemPrompt: string | null;
  /** The conversation so far, ending with the user message to answer. */
  messages: readonly WorkerChatMessage[];
  params: ChatParams;
  seed?: number;
}

/** What a cached session was made for; a turn that differs in any of these needs a new one. */
interface SessionKey {
  conversationId: string;
  contextLength: number;
  systemPrompt: string | undefined;
}

interface KeptSession {
  key: SessionKey;
  session: ChatSession;
  answering: boolean;
}

export class ConversationCache {
  private readonly model: LoadedModel;
  private readonly tokenizer: TextTokenizer;
  private readonly decoder: BatchedDecoder;
  /** By conversation id: the sessions answering now, and the last one that answered. */
  private readonly sessions = new Map<string, KeptSession>();

  /** `decoder` batches the decode steps of conversations answered at once (and of other sequences it serves). */
  constructor(model: LoadedModel, tokenizer: TextTokenizer, decoder: BatchedDecoder = new BatchedDecoder(model)) {
    this.model = model;
    this.tokenizer = tokenizer;
    this.decoder = decoder;
  }

  /** Tokens cached now, all conversations together. */
  get cachedTokens(): number {
    let tokens = 0;
    for (const kept of this.sessions.values()) tokens += kept.session.cachedTokens;
    return tokens;
  }

  /** Conversations answering now. */
  get answering(): number {
    return [...this.sessions.values()].filter((kept) => kept.answering).length;
  }

  /**
   * Answers a turn. Turns of different conversations run at once (their decode steps batched);
   * the KV of the last conversation that answered is kept for its next turn, the others' freed.
   */
  async *answer(turn: ConversationTurn, signal?: AbortSignal): AsyncGenerator<TokenEvent, ChatTurnResult, void> {
    // A base model loads (its /v1/completions need it) but cannot hold a conversation.
    if (!this.tokenizer.hasChatTemplate) {
      throw new ChatTemplateError(
        `${this.tokenizer.origin} has no chat template (a base model), so Hearth cannot chat with it: use its OpenAI-compatible /v1/completions with a text prompt, ` +
          'or add chat_template to tokenizer_config.json (or a chat_template.jinja) and import it again.',
      );
    }
    const { params } = turn;
    const kept = this.sessionFor({
      conversationId: turn.conversationId,
      contextLength: contextLengthFor(this.model, Math.min(params.contextLength, this.model.spec.contextLength)),
      systemPrompt: turn.systemPrompt === null || turn.systemPrompt === '' ? undefined : turn.systemPrompt,
    });
    kept.answering = true;
    try {
      return yield* kept.session.answer(
        turn.messages.map((m) => ({ role: m.role, content: m.content })),
        {
          maxNewTokens: params.maxTokens,
          temperature: params.temperature,
          topP: params.topP,
          topK: params.topK,
          minP: params.minP,
          repetitionPenalty: params.repetitionPenalty,
          // A test's fixed seed first, then the conversation's; none draws one per reply.
          seed: turn.seed ?? params.seed ?? undefined,
          stop: params.stop,
          overflow: params.overflow,
        },
        signal,
      );
    } finally {
      kept.answering = false;
    }
  }

  /** Frees the KV of every conversation not answering now (another user of the memory needs it). */
  disposeIdle(): void {
    for (const [conversationId, kept] of this.sessions) {
      if (kept.answering) continue;
      kept.session.dispose();
      this.sessions.delete(conversationId);
    }
  }

  dispose(): void {
    for (const kept of this.sessions.values()) kept.session.dispose();
    this.sessions.clear();
  }

  /** The session for this conversation: kept when it was made for the same key, else made anew. */
  private sessionFor(key: SessionKey): KeptSession {
    const current = this.sessions.get(key.conversationId);
    const same = current !== undefined && current.key.contextLength === key.contextLength && current.key.systemPrompt === key.systemPrompt;
    // Only one idle conversation's KV stays, as before conversations could answer at once.
    for (const [conversationId, kept] of this.sessions) {
      if (kept.answering || (same && conversationId === key.conversationId)) continue;
      kept.session.dispose();
      this.sessions.delete(conversationId);
    }
    if (current && same) return current;
    const session = new ChatSession(this.model, this.tokenizer, {
      systemPrompt: key.systemPrompt,
      sequence: this.decoder.openSequence(key.contextLength),
    });
    const made: KeptSession = { key, session, answering: false };
    this.sessions.set(key.conversationId, made);
    return made;
  }
}
