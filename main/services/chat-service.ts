// Chat replies: send stores the user message and an assistant message in 'streaming', then, in
// the background, builds the conversation's variant if needed, loads it in the worker and
// streams the reply (through the conversation's adapter when it has one: the model built with
// the adapter folded in): every piece goes out as a 'chat.token' event and into the database through
// a StreamingMessageWriter (a crash loses at most a fraction of a second), and the reply ends
// with 'chat.ended' carrying the stored message. Stop keeps the partial reply ('stopped'); a
// worker crash keeps it too ('interrupted') and tells the user the worker restarted. Whatever
// the user must know (dropped context, the CPU and why, a restart) is a 'chat.notice'.
// Conversations answer at once when they use the same model (the worker batches them); one
// reply per conversation at a time.
import type { ChatNoticeEventSchema } from '../common/contracts/events.ts';
import type { z } from 'zod';
import { ApiError } from '../common/contracts/api-error.ts';
import type { MessageStats, ReplyStarted } from '../common/contracts/chat.ts';
import { DEFAULT_CONVERSATION_TITLE, conversationTitleFrom } from '../common/conversation-title.ts';
import type { MessageRecord } from '../store/messages-repository.ts';
import type { Store } from '../store/store.ts';
import { StreamingMessageWriter, type FinalMessageStatus } from '../store/streaming-message-writer.ts';
import type { WorkerChatMessage } from '../worker/worker-protocol.ts';
import { messageOf, paramsOf, requireConversation } from './conversation-records.ts';
import type { EngineGeneration, EngineHost } from './engine-host.ts';
import type { EventBus } from './event-bus.ts';
import { toApiError } from './handler-guard.ts';
import type { HardwareService } from './hardware-service.ts';
import { loadModelForReply, type ReadyModel } from './model-loader.ts';
import { requireModel } from './model-records.ts';
import type { VariantBuilds } from './variant-builds.ts';

type NoticeKind = z.infer<typeof ChatNoticeEventSchema>['kind'];

/** A reply being written. */
interface ActiveReply {
  conversationId: string;
  modelId: string;
  /** The adapter the reply is written with, if any. */
  adapterId: string | null;
  assistantMessageId: string;
  writer: StreamingMessageWriter;
  stopRequested: boolean;
  /** Aborted by stop: ends a wait for replies with another variant. */
  stopSignal: AbortController;
  generation: EngineGeneration | null;
  /** Settles when the reply is stored in its final state. */
  finished: Promise<void>;
}

export interface ChatDependencies {
  store: Store;
  bus: EventBus;
  engine: EngineHost;
  builds: VariantBuilds;
  hardware: HardwareService;
}

export class ChatService {
  private readonly store: Store;
  private readonly bus: EventBus;
  private readonly engine: EngineHost;
  private readonly builds: VariantBuilds;
  private readonly hardware: HardwareService;
  private readonly active = new Map<string, ActiveReply>();
  /** Conversations already told that the loaded model runs on the CPU (cleared at each load). */
  private readonly toldAboutCpu = new Set<string>();
  /** Why the worker cannot answer with this model now because something other than the app's chat (the /v1 API) answers with another one, or null. */
  otherWorkReason: ((modelId: string) => string | null) | null = null;

  constructor(dependencies: ChatDependencies) {
    this.store = dependencies.store;
    this.bus = dependencies.bus;
    this.engine = dependencies.engine;
    this.builds = dependencies.builds;
    this.hardware = dependencies.hardware;
  }

  /** Why a model cannot go away now (a reply uses it), or null. */
  busyReason(modelId: string): string | null {
    for (const reply of this.active.values()) if (reply.modelId === modelId) return 'a reply is being written with it';
    return null;
  }

  /** Why an adapter cannot go away now (a reply uses it), or null. */
  adapterBusyReason(adapterId: string): string | null {
    for (const reply of this.active.values()) if (reply.adapterId === adapterId) return 'a reply is being written with it';
    return null;
  }

  async send(conversationId: string, text: string): Promise<ReplyStarted> {
    const modelId = this.checkCanReply(conversationId);
    const conversation = requireConversation(this.store, conversationId);
    const user = this.store.messages.append({ conversationId, role: 'user', content: text });
    if (conversation.title === DEFAULT_CONVERSATION_TITLE && !this.store.messages.list(conversationId).some((m) => m.role === 'user' && m.id !== user.id)) {
      this.store.conversations.rename(conversationId, conversationTitleFrom(text));
    }
    return this.startReply(conversationId, modelId, user.id);
  }

  async regenerate(conversationId: string): Promise<ReplyStarted> {
    const modelId = this.checkCanReply(conversationId);
    const messages = this.store.messages.list(conversationId);
    const last = messages[messages.length - 1];
    if (!messages.some((m) => m.role === 'user')) throw new ApiError('invalid-input', 'There is no message to answer again in this conversation; send one first.');
    if (last.role === 'assistant') this.store.messages.deleteFrom(conversationId, last.position);
    return this.startReply(conversationId, modelId, null);
  }

  async editAndResend(messageId: string, text: string): Promise<ReplyStarted> {
    const message = this.store.messages.get(messageId);
    if (!message) throw new ApiError('not-found', `There is no message ${messageId} (was it deleted?).`);
    if (message.role !== 'user') throw new ApiError('invalid-input', 'Only your own messages can be edited and sent again.');
    const modelId = this.checkCanReply(message.conversationId);
    this.store.database.transaction(() => {
      this.store.messages.deleteFrom(message.conversationId, message.position + 1);
      this.store.messages.update(messageId, { content: text });
    });
    return this.startReply(message.conversationId, modelId, messageId);
  }

  /** Stops the reply being written in the conversation (if any), keeping its text, and waits until it is stored. */
  async stop(conversationId: string): Promise<void> {
    const reply = this.active.get(conversationId);
    if (!reply) return;
    reply.stopRequested = true;
    reply.stopSignal.abort();
    reply.generation?.abort();
    await reply.finished;
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.active.keys()].map((id) => this.stop(id)));
  }

  /** The conversation's model id when a reply may start now; else the ApiError that says why not. */
  private checkCanReply(conversationId: string): string {
    const conversation = requireConversation(this.store, conversationId);
    if (this.active.has(conversationId)) throw new ApiError('busy', 'A reply is still being written in this conversation; wait for it or stop it first.');
    if (conversation.modelId === null) throw new ApiError('invalid-input', 'Choose a model for this conversation first.');
    const modelId = conversation.modelId;
    if ([...this.active.values()].some((reply) => reply.modelId !== modelId)) {
      throw new ApiError('busy', 'Hearth is answering in another conversation with another model; wait for that reply or stop it first.');
    }
    const otherWork = this.otherWorkReason?.(modelId);
    if (otherWork) throw new ApiError('busy', `Hearth is ${otherWork}; wait for it to finish.`);
    requireModel(this.store, conversation.modelId);
    return conversation.modelId;
  }

  private startReply(conversationId: string, modelId: string, userMessageId: string | null): ReplyStarted {
    const assistant = this.store.messages.append({ conversationId, role: 'assistant', content: '', status: 'streaming' });
    const reply: ActiveReply = {
      conversationId,
      modelId,
      adapterId: requireConversation(this.store, conversationId).adapterId,
      assistantMessageId: assistant.id,
      writer: new StreamingMessageWriter(this.store.messages, assistant.id),
      stopRequested: false,
      stopSignal: new AbortController(),
      generation: null,
      finished: Promise.resolve(),
    };
    this.active.set(conversationId, reply);
    this.bus.emit({ type: 'conversations.changed' });
    reply.finished = this.runReply(reply).finally(() => this.release(reply));
    return { conversationId, userMessageId, assistantMessageId: assistant.id };
  }

  private async runReply(reply: ActiveReply): Promise<void> {
    const { conversationId } = reply;
    try {
      const conversation = requireConversation(this.store, conversationId);
      const params = paramsOf(conversation);
      const ready = await loadModelForReply(
        { store: this.store, bus: this.bus, engine: this.engine, builds: this.builds, hardware: this.hardware },
        {
          modelId: reply.modelId,
          precision: conversation.precision,
          contextLength: params.contextLength,
          adapterId: reply.adapterId,
          cancelled: () => reply.stopRequested,
          signal: reply.stopSignal.signal,
        },
      );
      if (!ready) return this.finish(reply, 'stopped', {});
      try {
        await this.generate(reply, ready);
      } finally {
        ready.release();
      }
    } catch (error) {
      if (reply.stopRequested && reply.generation === null) return this.finish(reply, 'stopped', {});
      const failure = toApiError(error);
      if (failure.code === 'worker-crashed') {
        this.finish(reply, 'interrupted', { error: failure.message });
        this.notice(
          conversationId,
          'worker-restarted',
          `${failure.message} The answer so far was kept and marked as interrupted. Hearth restarts the worker by itself: you can send your next message.`,
        );
      } else {
        this.finish(reply, 'error', { error: failure.message });
        this.notice(conversationId, 'error', failure.message);
      }
    }
  }

  /** Streams the reply with the model `ready` holds, and stores its end. */
  private async generate(reply: ActiveReply, ready: ReadyModel): Promise<void> {
    const { conversationId } = reply;
    const conversation = requireConversation(this.store, conversationId);
    const params = paramsOf(conversation);
    const { precision, outcome: loaded } = ready;
    if (loaded.loadedNow) this.toldAboutCpu.clear();
    if (loaded.device === 'cpu' && !this.toldAboutCpu.has(conversationId)) {
      this.toldAboutCpu.add(conversationId);
      this.notice(conversationId, 'cpu-fallback', `Running ${precision} on the CPU: ${loaded.cpuReason ?? 'the CPU was chosen'}.`);
    }
    if (reply.stopRequested) return this.finish(reply, 'stopped', {});

    const generation = this.engine.generate(
      { conversationId, systemPrompt: conversation.systemPrompt, messages: this.promptMessages(conversationId, reply.assistantMessageId), params },
      (text) => {
        reply.writer.append(text);
        this.bus.emit({ type: 'chat.token', conversationId, messageId: reply.assistantMessageId, text });
      },
    );
    reply.generation = generation;
    if (reply.stopRequested) generation.abort();
    const result = await generation.done;

    // The final text may hold a tail no token carried (held back for a possible stop string).
    if (result.text.startsWith(reply.writer.text)) reply.writer.append(result.text.slice(reply.writer.text.length));
    const { stats } = result;
    if (stats.dropped.turns > 0 || stats.dropped.tokens > 0) {
      const turns = stats.dropped.turns === 1 ? '1 earlier exchange' : `${stats.dropped.turns} earlier exchanges`;
      this.notice(
        conversationId,
        'context-dropped',
        `The conversation is longer than the ${params.contextLength}-token context, so ${params.overflow} left out ${turns} (${stats.dropped.tokens} tokens) from this reply's prompt.`,
      );
    }
    const messageStats: MessageStats = {
      tokens: stats.tokens,
      tokensPerSecond: stats.tokensPerSecond,
      ttftMs: stats.ttftMs ?? 0,
      promptTokens: stats.promptTokens,
      reusedTokens: stats.reusedTokens,
      dropped: stats.dropped,
      device: loaded.device,
      stopReason: stats.stopReason,
    };
    this.finish(reply, stats.stopReason === 'aborted' ? 'stopped' : 'complete', { stats: messageStats });
  }

  /** The conversation before the reply, as the worker renders it: user and assistant turns with text. */
  private promptMessages(conversationId: string, assistantMessageId: string): WorkerChatMessage[] {
    const messages: WorkerChatMessage[] = [];
    for (const message of this.store.messages.list(conversationId)) {
      if (message.id === assistantMessageId) break;
      if (message.role === 'system' || message.content === '') continue;
      messages.push({ role: message.role, content: message.content });
    }
    return messages;
  }

  /** The conversation takes a new reply from here on. */
  private release(reply: ActiveReply): void {
    if (this.active.get(reply.conversationId) === reply) this.active.delete(reply.conversationId);
  }

  private finish(reply: ActiveReply, status: FinalMessageStatus, details: { stats?: MessageStats; error?: string }): void {
    // Released before 'chat.ended' goes out, so a client that sends on that event is not told 'busy'.
    this.release(reply);
    let stored: MessageRecord | undefined;
    try {
      stored = reply.writer.finish(status, { stats: details.stats ?? null, error: details.error ?? null });
    } catch (error) {
      console.error(`hearth: could not store the end of message ${reply.assistantMessageId}:`, error);
    }
    // Undefined when the conversation was deleted meanwhile: there is nothing left to show.
    if (stored) this.bus.emit({ type: 'chat.ended', conversationId: reply.conversationId, message: messageOf(stored) });
    this.bus.emit({ type: 'conversations.changed' });
  }

  private notice(conversationId: string, kind: NoticeKind, text: string): void {
    this.bus.emit({ type: 'chat.notice', conversationId, kind, text });
  }
}
