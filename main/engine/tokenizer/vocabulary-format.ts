// How a tokenizer's vocabulary strings stand for bytes, read from tokenizer.json the way
// xgrammar's own Hugging Face loader reads it: a ByteLevel decoder means GPT-2's byte-to-unicode
// alphabet ("Ġ" is a space), a ByteFallback decoder means SentencePiece pieces ("▁" is a space,
// "<0x0A>" one raw byte), anything else means the strings are the text itself. Constrained
// decoding needs this to know which bytes each token writes.
import { z } from 'zod';

export type TokenByteEncoding = 'byte-level' | 'byte-fallback' | 'raw';

export interface VocabularyFormat {
  byteEncoding: TokenByteEncoding;
  /** The tokenizer puts "▁" before the text (a Prepend normalizer, or Metaspace with prepend_scheme always/first). */
  prependsSpace: boolean;
}

const Component = z.looseObject({ type: z.string() });
type Component = z.infer<typeof Component>;

/** A component and, for a Sequence, the components it chains (under `listKey`). */
function flatten(value: unknown, listKey: string): Component[] {
  const parsed = Component.safeParse(value);
  if (!parsed.success) return [];
  if (parsed.data.type !== 'Sequence') return [parsed.data];
  const list = parsed.data[listKey];
  return Array.isArray(list) ? list.flatMap((item) => flatten(item, listKey)) : [];
}

export function vocabularyFormatOf(tokenizerJson: object): VocabularyFormat {
  const json = tokenizerJson as Record<string, unknown>;
  const decoders = flatten(json.decoder, 'decoders').map((d) => d.type);
  // The first byte-aware decoder in the chain decides, as in xgrammar.
  const byteDecoder = decoders.find((type) => type === 'ByteLevel' || type === 'ByteFallback');
  const byteEncoding: TokenByteEncoding = byteDecoder === 'ByteLevel' ? 'byte-level' : byteDecoder === 'ByteFallback' ? 'byte-fallback' : 'raw';
  const prependNormalizer = flatten(json.normalizer, 'normalizers').some((n) => n.type === 'Prepend' && n.prepend === '▁');
  const preTokenizer = Component.safeParse(json.pre_tokenizer);
  const metaspacePrepends =
    preTokenizer.success &&
    preTokenizer.data.type === 'Metaspace' &&
    (preTokenizer.data.prepend_scheme === 'always' || preTokenizer.data.prepend_scheme === 'first');
  return { byteEncoding, prependsSpace: prependNormalizer || metaspacePrepends };
}
