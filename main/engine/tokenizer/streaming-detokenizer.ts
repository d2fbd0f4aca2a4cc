// Turns generated token ids into text as they arrive. A byte-level BPE token can hold part of
// a UTF-8 character (an emoji is often 2-4 tokens), and SentencePiece decoders drop the space
// of a sequence's first token, so a token cannot be decoded alone. Each step decodes a short
// window that starts one settled chunk back and emits only what grew past the settled text,
// holding it while it ends in U+FFFD (an incomplete character).
import type { TextTokenizer } from './text-tokenizer.ts';

const REPLACEMENT_CHARACTER = '\uFFFD';

export interface StreamingDetokenizerOptions {
  /** Leave out special tokens such as `<|im_end|>`. Default true: the text is for people. */
  skipSpecialTokens?: boolean;
}

export class StreamingDetokenizer {
  private readonly tokenizer: TextTokenizer;
  private readonly skipSpecialTokens: boolean;
  private readonly ids: number[] = [];
  /** Start of the window decoded as context, so the next chunk decodes as it would in the whole. */
  private prefixOffset = 0;
  /** End of the text already emitted. */
  private readOffset = 0;

  constructor(tokenizer: TextTokenizer, options: StreamingDetokenizerOptions = {}) {
    this.tokenizer = tokenizer;
    this.skipSpecialTokens = options.skipSpecialTokens ?? true;
  }

  /** Adds one token id; returns the text that is now complete ('' while a character is unfinished). */
  push(id: number): string {
    this.ids.push(id);
    const decodeOptions = { skipSpecialTokens: this.skipSpecialTokens };
    const settled = this.tokenizer.decode(this.ids.slice(this.prefixOffset, this.readOffset), decodeOptions);
    const current = this.tokenizer.decode(this.ids.slice(this.prefixOffset), decodeOptions);
    // Compared by length, as text-generation-inference does: a decoder that rewrites across the
    // boundary (clean_up_tokenization_spaces) must not stall the stream.
    if (current.length <= settled.length || current.endsWith(REPLACEMENT_CHARACTER)) {
      return '';
    }
    this.prefixOffset = this.readOffset;
    this.readOffset = this.ids.length;
    return current.slice(settled.length);
  }

  /** Adds several ids; returns the text they complete. */
  pushAll(ids: Iterable<number>): string {
    let text = '';
    for (const id of ids) text += this.push(id);
    return text;
  }

  /** At the end of generation: whatever was held back, replacement characters included. */
  flush(): string {
    const decodeOptions = { skipSpecialTokens: this.skipSpecialTokens };
    const settled = this.tokenizer.decode(this.ids.slice(this.prefixOffset, this.readOffset), decodeOptions);
    const current = this.tokenizer.decode(this.ids.slice(this.prefixOffset), decodeOptions);
    this.prefixOffset = this.ids.length;
    this.readOffset = this.ids.length;
    return current.slice(settled.length);
  }

  /** Every id pushed so far. */
  get tokenIds(): readonly number[] {
    return this.ids;
  }
}
