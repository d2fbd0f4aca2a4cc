// Writes an assistant answer to the database while it streams, so that a crash or kill loses
// at most a fraction of a second of it. Pieces accumulate in memory; the first is written at
// once, and later ones at most every `flushIntervalMs` (default 250 ms): a piece waits for the
// next write at most that long, so the "at most about a second lost" bound holds with room to
// spare while writing only a few times a second however fast tokens come.
import type { JsonObject } from './json-column.ts';
import type { MessageRecord, MessagesRepository, MessageStatus } from './messages-repository.ts';

export type FinalMessageStatus = Exclude<MessageStatus, 'streaming'>;

export interface StreamingMessageWriterOptions {
  /** The least time between two writes while text arrives (default 250 ms). */
  flushIntervalMs?: number;
  /** The clock that spaces the writes (default Date.now). */
  now?: () => number;
}

export class StreamingMessageWriter {
  readonly messageId: string;
  private readonly messages: MessagesRepository;
  private readonly flushIntervalMs: number;
  private readonly now: () => number;
  private content: string;
  private dirty = false;
  private lastFlushAt = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | null = null;
  private done = false;
  /** A write that failed inside the timer, rethrown by the next call (a timer has no caller to throw to). */
  private failure: unknown = null;

  /** Starts writing to `messageId`, which must exist in status 'streaming'; its text so far is kept. */
  constructor(messages: MessagesRepository, messageId: string, options: StreamingMessageWriterOptions = {}) {
    const message = messages.get(messageId);
    if (!message) throw new Error(`Cannot stream into message ${messageId}: it does not exist.`);
    if (message.status !== 'streaming') throw new Error(`Cannot stream into message ${messageId}: its status is '${message.status}', not 'streaming'.`);
    this.messageId = messageId;
    this.messages = messages;
    this.flushIntervalMs = options.flushIntervalMs ?? 250;
    this.now = options.now ?? Date.now;
    this.content = message.content;
  }

  /** The whole answer so far, written or not. */
  get text(): string {
    return this.content;
  }

  /** Whether finish was called, or the message was deleted while streaming. */
  get finished(): boolean {
    return this.done;
  }

  /** Adds a piece of the answer; it reaches the database within flushIntervalMs. */
  append(piece: string): void {
    this.throwPendingFailure();
    if (this.done || piece === '') return;
    this.content += piece;
    this.dirty = true;
    const sinceLastFlush = this.now() - this.lastFlushAt;
    if (sinceLastFlush >= this.flushIntervalMs) this.flush();
    else this.timer ??= setTimeout(() => this.flushFromTimer(), this.flushIntervalMs - sinceLastFlush);
  }

  /** Writes the text now if anything is unwritten. */
  flush(): void {
    this.clearTimer();
    if (this.done || !this.dirty) return;
    this.dirty = false;
    this.lastFlushAt = this.now();
    // The conversation (and the message with it) may be deleted while the answer streams: stop quietly.
    if (!this.messages.updateContent(this.messageId, this.content)) this.done = true;
  }

  /**
   * Writes the whole text with its final status (and stats and error, when given) in one
   * statement. Returns the message, or undefined when it was deleted meanwhile.
   */
  finish(status: FinalMessageStatus, details: { stats?: JsonObject | null; error?: string | null } = {}): MessageRecord | undefined {
    this.clearTimer();
    this.throwPendingFailure();
    if (this.done) return undefined;
    this.done = true;
    return this.messages.update(this.messageId, { content: this.content, status, ...details });
  }

  private flushFromTimer(): void {
    this.timer = null;
    try {
      this.flush();
    } catch (error) {
      this.failure = error;
    }
  }

  private clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private throwPendingFailure(): void {
    if (this.failure === null) return;
    const failure = this.failure;
    this.failure = null;
    throw failure;
  }
}
