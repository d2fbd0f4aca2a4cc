// The KV cache of the active conversation, kept between turns in the worker: one engine
// ChatSession (main/engine/runtime/chat-session.ts), answering with the whole conversation each
// turn because the app may change it between turns. A session holds one conversation at one
// context length and system prompt; when the request names another, the session is made anew.
import type { ChatParams } from '../common/contracts/chat.ts';
import { contextLengthFor } from '../engine/runtime/cached-sequence.ts';
import { ChatSession } from '../engine/runtime/chat-session.ts';
import type { ChatTurnResult } from '../engine/runtime/chat-session.ts';
import type { TokenEvent } from '../engine/runtime/generate.ts';
import { ModelLoadError } from '../engine/runtime/model-session.ts';
import type { LoadedModel } from '../engine/runtime/model-session.ts';
import type { TextTokenizer } from '../engine/tokenizer/text-tokenizer.ts';
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

export class ConversationCache {
  private readonly model: LoadedModel;
  private readonly tokenizer: TextTokenizer;
  private session: ChatSession | null = null;
  private key: SessionKey | null = null;

  constructor(model: LoadedModel, tokenizer: TextTokenizer) {
    if (!tokenizer.hasChatTemplate) {
      throw new ModelLoadError(`${tokenizer.origin} has no chat template, so Hearth cannot chat with it. Add chat_template to tokenizer_config.json, or a chat_template.jinja.`);
    }
    this.model = model;
    this.tokenizer = tokenizer;
  }

  /** Tokens cached now. */
  get cachedTokens(): number {
    return this.session?.cachedTokens ?? 0;
  }

  async *answer(turn: ConversationTurn, signal?: AbortSignal): AsyncGenerator<TokenEvent, ChatTurnResult, void> {
    const { params } = turn;
    const session = this.sessionFor({
      conversationId: turn.conversationId,
      contextLength: contextLengthFor(this.model, Math.min(params.contextLength, this.model.spec.contextLength)),
      systemPrompt: turn.systemPrompt === null || turn.systemPrompt === '' ? undefined : turn.systemPrompt,
    });
    return yield* session.answer(
      turn.messages.map((m) => ({ role: m.role, content: m.content })),
      { maxNewTokens: params.maxTokens, temperature: params.temperature, topP: params.topP, seed: turn.seed, overflow: params.overflow },
      signal,
    );
  }

  dispose(): void {
    this.session?.dispose();
    this.session = null;
    this.key = null;
  }

  /** The session for this conversation: kept when it was made for the same key, else made anew. */
  private sessionFor(key: SessionKey): ChatSession {
    const same = this.key !== null && this.key.conversationId === key.conversationId && this.key.contextLength === key.contextLength && this.key.systemPrompt === key.systemPrompt;
    if (this.session && same) return this.session;
    this.dispose();
    this.session = new ChatSession(this.model, this.tokenizer, { contextLength: key.contextLength, systemPrompt: key.systemPrompt });
    this.key = key;
    return this.session;
  }
}
