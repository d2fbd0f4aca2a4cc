import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { vocabularyFormatOf } from './vocabulary-format.ts';

describe('vocabularyFormatOf', () => {
  it('reads a GPT-2 style byte-level tokenizer (Qwen, Llama 3, the demo model)', () => {
    const json = { decoder: { type: 'ByteLevel', add_prefix_space: true }, pre_tokenizer: { type: 'ByteLevel' }, normalizer: null };
    assert.deepEqual(vocabularyFormatOf(json), { byteEncoding: 'byte-level', prependsSpace: false });
  });

  it('reads a SentencePiece tokenizer with byte fallback and a prepended "▁" (Llama 2)', () => {
    const json = {
      normalizer: { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: '▁' }, { type: 'Replace', pattern: { String: ' ' }, content: '▁' }] },
      decoder: { type: 'Sequence', decoders: [{ type: 'Replace' }, { type: 'ByteFallback' }, { type: 'Fuse' }, { type: 'Strip' }] },
    };
    assert.deepEqual(vocabularyFormatOf(json), { byteEncoding: 'byte-fallback', prependsSpace: true });
  });

  it('reads a Metaspace pre-tokenizer as prepending a space, and anything else as raw text', () => {
    const json = { pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first' }, decoder: { type: 'Metaspace' } };
    assert.deepEqual(vocabularyFormatOf(json), { byteEncoding: 'raw', prependsSpace: true });
    assert.deepEqual(vocabularyFormatOf({}), { byteEncoding: 'raw', prependsSpace: false });
  });
});
