// The messages of conversations, in order. An assistant answer is appended in status
// 'streaming' and grows through `update` (see streaming-message-writer.ts) until it ends as
// 'complete', 'stopped', 'error' or 'interrupted'.
import { randomUUID } from 'node:crypto';
import type BetterSqlite3 from 'better-sqlite3';
import type { StoreDatabase } from './database.ts';
import { fromJsonObjectColumn, toJsonColumn, type JsonObject } from './json-column.ts';
import { withoutUndefined } from './record-patch.ts';
import { StoreError } from './store-error.ts';

export type MessageRole = 'system' | 'user' | 'assistant';
export type MessageStatus = 'complete' | 'streaming' | 'interrupted' | 'error' | 'stopped';

export interface MessageRecord {
  id: string;
  conversationId: string;
  /** 0, 1, 2... within the conversation. */
  position: number;
  role: MessageRole;
  content: string;
  status: MessageStatus;
  error: string | null;
  /** Generation statistics (tokens, tokens/s, time to first token, what the overflow policy dropped...). */
  stats: JsonObject | null;
  createdAt: number;
  updatedAt: number;
}

export interface NewMessage {
  id?: string;
  conversationId: string;
  role: MessageRole;
  content?: string;
  /** Default 'complete'; an answer about to stream starts as 'streaming'. */
  status?: MessageStatus;
  error?: string | null;
  stats?: JsonObject | null;
}

/** Fields to change; a field left out keeps its value, null clears it. */
export interface MessagePatch {
  content?: string;
  status?: MessageStatus;
  error?: string | null;
  stats?: JsonObject | null;
}

export interface MessageRow {
  id: string;
  conversation_id: string;
  position: number;
  role: MessageRole;
  content: string;
  status: MessageStatus;
  error: string | null;
  stats_json: string | null;
  created_at: number;
  updated_at: number;
}

export function messageFromRow(row: MessageRow): MessageRecord {
  return {
    id: row.id,
    conversationId: row.conversation_id,
    position: row.position,
    role: row.role,
    content: row.content,
    status: row.status,
    error: row.error,
    stats: row.stats_json === null ? null : fromJsonObjectColumn(row.stats_json, `messages.stats_json of message ${row.id}`),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The error recorded on answers that were still streaming when Hearth last stopped. */
export const INTERRUPTED_AT_START_UP = 'Hearth stopped before this answer was finished; the text so far was kept.';

export class MessagesRepository {
  private readonly db: StoreDatabase;
  private readonly touchConversation: BetterSqlite3.Statement<[number, string]>;
  private readonly selectNextPosition: BetterSqlite3.Statement<[string], { next: number }>;
  private readonly insertMessage: BetterSqlite3.Statement;
  private readonly selectMessage: BetterSqlite3.Statement<[string], MessageRow>;
  private readonly selectMessages: BetterSqlite3.Statement<[string], MessageRow>;
  private readonly updateMessage: BetterSqlite3.Statement;
  private readonly deleteMessage: BetterSqlite3.Statement<[string]>;
  private readonly deleteMessagesFrom: BetterSqlite3.Statement<[string, number]>;
  private readonly markStreamingInterrupted: BetterSqlite3.Statement<[string, number]>;

  constructor(db: StoreDatabase) {
    this.db = db;
    const c = db.connection;
    this.touchConversation = c.prepare('UPDATE conversations SET updated_at = ? WHERE id = ?');
    this.selectNextPosition = c.prepare('SELECT coalesce(max(position) + 1, 0) AS next FROM messages WHERE conversation_id = ?');
    this.insertMessage = c.prepare(`
      INSERT INTO messages (id, conversation_id, position, role, content, status, error, stats_json, created_at, updated_at)
      VALUES (@id, @conversation_id, @position, @role, @content, @status, @error, @stats_json, @now, @now)`);
    this.selectMessage = c.prepare('SELECT * FROM messages WHERE id = ?');
    this.selectMessages = c.prepare('SELECT * FROM messages WHERE conversation_id = ? ORDER BY position');
    this.updateMessage = c.prepare(`
      UPDATE messages SET content = @content, status = @status, error = @error, stats_json = @stats_json, updated_at = @now
      WHERE id = @id`);
    this.deleteMessage = c.prepare('DELETE FROM messages WHERE id = ?');
    this.deleteMessagesFrom = c.prepare('DELETE FROM messages WHERE conversation_id = ? AND position >= ?');
    this.markStreamingInterrupted = c.prepare(
      "UPDATE messages SET status = 'interrupted', error = ?, updated_at = ? WHERE status = 'streaming'",
    );
  }

  /** Adds a message after the conversation's last one, and marks the conversation as just used. */
  append(message: NewMessage): MessageRecord {
    return this.db.transaction(() => {
      const now = this.db.now();
      if (this.touchConversation.run(now, message.conversationId).changes === 0) {
        throw new StoreError('not-found', `Cannot add a message to conversation ${message.conversationId}: it does not exist (was it deleted?).`, {
          file: this.db.file,
        });
      }
      const id = message.id ?? randomUUID();
      this.insertMessage.run({
        id,
        conversation_id: message.conversationId,
        position: this.selectNextPosition.get(message.conversationId)!.next,
        role: message.role,
        content: message.content ?? '',
        status: message.status ?? 'complete',
        error: message.error ?? null,
        stats_json: message.stats == null ? null : toJsonColumn(message.stats),
        now,
      });
      return this.get(id)!;
    });
  }

  get(id: string): MessageRecord | undefined {
    const row = this.selectMessage.get(id);
    return row && messageFromRow(row);
  }

  /** A conversation's messages in order. */
  list(conversationId: string): MessageRecord[] {
    return this.selectMessages.all(conversationId).map(messageFromRow);
  }

  /** Changes the given fields in one statement; undefined when there is no such message. */
  update(id: string, patch: MessagePatch): MessageRecord | undefined {
    return this.db.transaction(() => {
      const current = this.get(id);
      if (!current) return undefined;
      const next = { ...current, ...withoutUndefined(patch) };
      this.updateMessage.run({
        id,
        content: next.content,
        status: next.status,
        error: next.error,
        stats_json: next.stats === null ? null : toJsonColumn(next.stats),
        now: this.db.now(),
      });
      return this.get(id);
    });
  }

  /** False when there is no such message. */
  updateContent(id: string, content: string): boolean {
    return this.update(id, { content }) !== undefined;
  }

  /** Sets the status, and the error and stats when given. False when there is no such message. */
  setStatus(id: string, status: MessageStatus, details: { error?: string | null; stats?: JsonObject | null } = {}): boolean {
    return this.update(id, { status, ...details }) !== undefined;
  }

  delete(id: string): boolean {
    return this.deleteMessage.run(id).changes > 0;
  }

  /** Deletes the message at `position` and every later one (regenerate, edit and resend). Returns how many. */
  deleteFrom(conversationId: string, position: number): number {
    return this.deleteMessagesFrom.run(conversationId, position).changes;
  }

  /**
   * Marks every answer still 'streaming' as 'interrupted', keeping its partial text. Call once
   * at start-up, before any answer streams: such rows were left by a crash or kill.
   */
  recoverInterruptedMessages(): number {
    return this.markStreamingInterrupted.run(INTERRUPTED_AT_START_UP, this.db.now()).changes;
  }
}
