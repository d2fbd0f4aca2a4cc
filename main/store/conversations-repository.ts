// Conversations: the list in the "Conversations" navigation, each with its model, precision,
// system prompt and sampling parameters, and the search behind the search box.
import { randomUUID } from 'node:crypto';
import type BetterSqlite3 from 'better-sqlite3';
import type { Precision } from '../common/model-manifest.ts';
import type { StoreDatabase } from './database.ts';
import { fromJsonObjectColumn, toJsonColumn, type JsonObject } from './json-column.ts';
import { messageFromRow, type MessageRecord, type MessageRow } from './messages-repository.ts';
import { withoutUndefined } from './record-patch.ts';
import { ftsMatchExpression } from './search-query.ts';

export interface ConversationRecord {
  id: string;
  title: string;
  /** Null when no model is chosen, or the model was deleted. */
  modelId: string | null;
  precision: Precision | null;
  /** The LoRA adapter chatted through (null: the model alone, or the adapter was deleted). */
  adapterId: string | null;
  systemPrompt: string;
  /** Sampling and context parameters (temperature, top-p, max tokens, context length, overflow policy...). */
  params: JsonObject;
  createdAt: number;
  /** Last change to the conversation or a new message in it; the list is ordered by it. */
  updatedAt: number;
}

export interface NewConversation {
  id?: string;
  title: string;
  modelId?: string | null;
  precision?: Precision | null;
  adapterId?: string | null;
  systemPrompt?: string;
  params?: JsonObject;
}

/** Fields to change; a field left out keeps its value, null clears it. */
export interface ConversationPatch {
  title?: string;
  modelId?: string | null;
  precision?: Precision | null;
  adapterId?: string | null;
  systemPrompt?: string;
  params?: JsonObject;
}

export interface ConversationWithMessages {
  conversation: ConversationRecord;
  messages: MessageRecord[];
}

interface ConversationRow {
  id: string;
  title: string;
  model_id: string | null;
  precision: string | null;
  adapter_id: string | null;
  system_prompt: string;
  params_json: string;
  created_at: number;
  updated_at: number;
}

function conversationFromRow(row: ConversationRow): ConversationRecord {
  return {
    id: row.id,
    title: row.title,
    modelId: row.model_id,
    // Written only through NewConversation and ConversationPatch, so one of the union's members.
    precision: row.precision as Precision | null,
    adapterId: row.adapter_id,
    systemPrompt: row.system_prompt,
    params: fromJsonObjectColumn(row.params_json, `conversations.params_json of conversation ${row.id}`),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

const MOST_RECENT_FIRST = 'ORDER BY updated_at DESC, created_at DESC, rowid DESC';

export class ConversationsRepository {
  private readonly db: StoreDatabase;
  private readonly insertConversation: BetterSqlite3.Statement;
  private readonly selectConversation: BetterSqlite3.Statement<[string], ConversationRow>;
  private readonly selectConversations: BetterSqlite3.Statement<[], ConversationRow>;
  private readonly selectMessages: BetterSqlite3.Statement<[string], MessageRow>;
  private readonly updateConversation: BetterSqlite3.Statement;
  private readonly deleteConversation: BetterSqlite3.Statement<[string]>;
  private readonly searchConversations: BetterSqlite3.Statement<[string], ConversationRow>;

  constructor(db: StoreDatabase) {
    this.db = db;
    const c = db.connection;
    this.insertConversation = c.prepare(`
      INSERT INTO conversations (id, title, model_id, precision, adapter_id, system_prompt, params_json, created_at, updated_at)
      VALUES (@id, @title, @model_id, @precision, @adapter_id, @system_prompt, @params_json, @now, @now)`);
    this.selectConversation = c.prepare('SELECT * FROM conversations WHERE id = ?');
    this.selectConversations = c.prepare(`SELECT * FROM conversations ${MOST_RECENT_FIRST}`);
    this.selectMessages = c.prepare('SELECT * FROM messages WHERE conversation_id = ? ORDER BY position');
    this.updateConversation = c.prepare(`
      UPDATE conversations SET title = @title, model_id = @model_id, precision = @precision, adapter_id = @adapter_id, system_prompt = @system_prompt,
        params_json = @params_json, updated_at = @now WHERE id = @id`);
    this.deleteConversation = c.prepare('DELETE FROM conversations WHERE id = ?');
    this.searchConversations = c.prepare(`
      SELECT * FROM conversations WHERE id IN (
        SELECT r.conversation_id FROM search_index JOIN search_rows r ON r.fts_rowid = search_index.rowid
        WHERE search_index MATCH ?)
      ${MOST_RECENT_FIRST}`);
  }

  create(conversation: NewConversation): ConversationRecord {
    const id = conversation.id ?? randomUUID();
    this.insertConversation.run({
      id,
      title: conversation.title,
      model_id: conversation.modelId ?? null,
      precision: conversation.precision ?? null,
      adapter_id: conversation.adapterId ?? null,
      system_prompt: conversation.systemPrompt ?? '',
      params_json: toJsonColumn(conversation.params ?? {}),
      now: this.db.now(),
    });
    return this.get(id)!;
  }

  get(id: string): ConversationRecord | undefined {
    const row = this.selectConversation.get(id);
    return row && conversationFromRow(row);
  }

  /** The conversation and its messages in order, read together. */
  getWithMessages(id: string): ConversationWithMessages | undefined {
    return this.db.transaction(() => {
      const conversation = this.get(id);
      if (!conversation) return undefined;
      return { conversation, messages: this.selectMessages.all(id).map(messageFromRow) };
    });
  }

  /** Most recently used first. */
  list(): ConversationRecord[] {
    return this.selectConversations.all().map(conversationFromRow);
  }

  /** Changes the given fields and marks the conversation as just used; undefined when there is no such conversation. */
  update(id: string, patch: ConversationPatch): ConversationRecord | undefined {
    return this.db.transaction(() => {
      const current = this.get(id);
      if (!current) return undefined;
      const next = { ...current, ...withoutUndefined(patch) };
      this.updateConversation.run({
        id,
        title: next.title,
        model_id: next.modelId,
        precision: next.precision,
        adapter_id: next.adapterId,
        system_prompt: next.systemPrompt,
        params_json: toJsonColumn(next.params),
        now: this.db.now(),
      });
      return this.get(id);
    });
  }

  /** False when there is no such conversation. */
  rename(id: string, title: string): boolean {
    return this.update(id, { title }) !== undefined;
  }

  /** Deletes the conversation with its messages. */
  delete(id: string): boolean {
    return this.deleteConversation.run(id).changes > 0;
  }

  /**
   * Conversations whose title, or one of whose messages, has a word starting with each word of
   * `text` (case and accents ignored), most recently used first. Blank text lists them all.
   */
  search(text: string): ConversationRecord[] {
    if (text.trim() === '') return this.list();
    const match = ftsMatchExpression(text);
    if (match === null) return [];
    return this.searchConversations.all(match).map(conversationFromRow);
  }
}
