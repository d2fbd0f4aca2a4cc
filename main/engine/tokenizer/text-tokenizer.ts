// Text <-> token ids for one model, wrapping the pure-JS port of Hugging Face `tokenizers`
// (which reproduces tokenizer.json exactly) and adding what lives in tokenizer_config.json:
// the special tokens, add_bos_token/add_eos_token, and the chat template.
import { join } from 'node:path';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { ChatTemplate, ChatTemplateError } from './chat-template.ts';
import type { ChatMessage, ChatTemplateOptions } from './chat-template.ts';
import { vocabularyFormatOf, type VocabularyFormat } from './vocabulary-format.ts';

/** The parts of tokenizer_config.json this class reads; everything else is passed through to the library. */
export interface TokenizerConfigJson {
  bos_token?: SpecialTokenEntry;
  eos_token?: SpecialTokenEntry;
  pad_token?: SpecialTokenEntry;
  unk_token?: SpecialTokenEntry;
  add_bos_token?: boolean;
  add_eos_token?: boolean;
  chat_template?: string | { name: string; template: string }[];
  [key: string]: unknown;
}

/** Older configs store special tokens as AddedToken objects rather than plain strings. */
export type SpecialTokenEntry = string | { content: string } | null;

export interface EncodeOptions {
  /** Add the tokens the tokenizer's post-processor adds (BOS for Llama-style models). Default true, as in HF. */
  addSpecialTokens?: boolean;
}

export interface DecodeOptions {
  /** Leave out special tokens such as `<|im_end|>`. Default false, as in HF. */
  skipSpecialTokens?: boolean;
}

export interface TextTokenizerSource {
  /** Parsed tokenizer.json. */
  tokenizerJson: object;
  /** Parsed tokenizer_config.json. */
  config: TokenizerConfigJson;
  /** Chat template text, from chat_template.jinja or the config; null when the model has none. */
  chatTemplate: string | null;
  /** Where the files came from, for error messages. */
  origin: string;
}

function specialTokenText(entry: SpecialTokenEntry | undefined): string | null {
  if (entry === undefined || entry === null) return null;
  return typeof entry === 'string' ? entry : entry.content;
}

export class TextTokenizer {
  readonly bosToken: string | null;
  readonly eosToken: string | null;
  readonly padToken: string | null;
  readonly unkToken: string | null;
  readonly bosTokenId: number | null;
  readonly eosTokenId: number | null;
  readonly padTokenId: number | null;
  /** One past the largest token id the tokenizer knows (added tokens included). The model's
   * embedding table may be larger (Qwen pads it to a multiple of 128). */
  readonly vocabSize: number;
  /** Ids of added tokens marked special in tokenizer.json. */
  readonly specialTokenIds: ReadonlySet<number>;
  /** How the vocabulary's strings stand for bytes (for constrained decoding). */
  readonly vocabularyFormat: VocabularyFormat;
  readonly origin: string;
  private readonly hf: HfTokenizer;
  private readonly addBosToken: boolean | undefined;
  private readonly addEosToken: boolean | undefined;
  private readonly chatTemplate: ChatTemplate | null;

  constructor(source: TextTokenizerSource) {
    const { config } = source;
    this.origin = source.origin;
    // The library types its own config shape; ours is a compatible subset.
    this.hf = new HfTokenizer(source.tokenizerJson, config);
    this.bosToken = specialTokenText(config.bos_token);
    this.eosToken = specialTokenText(config.eos_token);
    this.padToken = specialTokenText(config.pad_token);
    this.unkToken = specialTokenText(config.unk_token);
    this.bosTokenId = this.idOfSpecial(this.bosToken, 'bos_token');
    this.eosTokenId = this.idOfSpecial(this.eosToken, 'eos_token');
    this.padTokenId = this.idOfSpecial(this.padToken, 'pad_token');
    this.addBosToken = config.add_bos_token;
    this.addEosToken = config.add_eos_token;

    let maxId = -1;
    for (const id of this.hf.get_vocab(true).values()) if (id > maxId) maxId = id;
    this.vocabSize = maxId + 1;
    const special = new Set<number>();
    for (const [id, token] of this.hf.get_added_tokens_decoder()) if (token.special) special.add(id);
    this.specialTokenIds = special;
    this.vocabularyFormat = vocabularyFormatOf(source.tokenizerJson);

    this.chatTemplate =
      source.chatTemplate === null
        ? null
        : new ChatTemplate(source.chatTemplate, {
            bos_token: this.bosToken,
            eos_token: this.eosToken,
            pad_token: this.padToken,
            unk_token: this.unkToken,
          });
  }

  private idOfSpecial(token: string | null, field: string): number | null {
    if (token === null) return null;
    const id = this.hf.token_to_id(token);
    if (id === undefined) {
      throw new Error(`${join(this.origin, 'tokenizer_config.json')} names ${field} "${token}", which tokenizer.json does not contain.`);
    }
    return id;
  }

  encode(text: string, options: EncodeOptions = {}): number[] {
    const addSpecialTokens = options.addSpecialTokens ?? true;
    if (text === '' && !addSpecialTokens) return [];
    const ids = this.hf.encode(text, { add_special_tokens: addSpecialTokens }).ids;
    return addSpecialTokens ? this.applyBosEosFlags(ids) : ids;
  }

  /**
   * transformers rebuilds the post-processor of Llama-style tokenizers from add_bos_token and
   * add_eos_token when it loads them, so those flags win over tokenizer.json; the JS library
   * ignores them, so they are applied here.
   */
  private applyBosEosFlags(ids: number[]): number[] {
    let out = ids;
    const bos = this.bosTokenId;
    if (bos !== null && this.addBosToken !== undefined) {
      const hasBos = out[0] === bos;
      if (this.addBosToken && !hasBos) out = [bos, ...out];
      if (!this.addBosToken && hasBos) out = out.slice(1);
    }
    const eos = this.eosTokenId;
    if (eos !== null && this.addEosToken !== undefined) {
      const hasEos = out.length > 0 && out[out.length - 1] === eos;
      if (this.addEosToken && !hasEos) out = [...out, eos];
      if (!this.addEosToken && hasEos) out = out.slice(0, -1);
    }
    return out;
  }

  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    // The library rejects an empty list; the empty text is its decoding.
    if (ids.length === 0) return '';
    return this.hf.decode([...ids], { skip_special_tokens: options.skipSpecialTokens ?? false });
  }

  tokenToId(token: string): number | undefined {
    return this.hf.token_to_id(token);
  }

  idToToken(id: number): string | undefined {
    return this.hf.id_to_token(id);
  }

  get hasChatTemplate(): boolean {
    return this.chatTemplate !== null;
  }

  /** The chat template's Jinja text, or null. */
  get chatTemplateSource(): string | null {
    return this.chatTemplate?.source ?? null;
  }

  /** The prompt text for a conversation. Encode it with `addSpecialTokens: false`: templates write BOS themselves. */
  applyChatTemplate(messages: readonly ChatMessage[], options: ChatTemplateOptions): string {
    if (this.chatTemplate === null) {
      throw new ChatTemplateError(
        `${this.origin}: this tokenizer has no chat template (no chat_template in tokenizer_config.json and no chat_template.jinja). ` +
          'It is probably a base model: use plain text completion, or add a chat template to the folder.',
      );
    }
    return this.chatTemplate.render(messages, options);
  }

  /** applyChatTemplate, then encode without adding special tokens a second time, as HF's tokenize=True does. */
  encodeChat(messages: readonly ChatMessage[], options: ChatTemplateOptions): number[] {
    return this.encode(this.applyChatTemplate(messages, options), { addSpecialTokens: false });
  }
}
