// Logits for scoring text (perplexity, conformance against PyTorch): every position of a
// sequence, either in one pass or through the KV cache, and for a left-padded batch as
// Hugging Face builds one.
import { Tensor } from 'onnxruntime-node';
import { ATTENTION_MASK, INPUT_IDS, LOGITS, NUM_LOGITS_TO_KEEP, POSITION_IDS } from '../graph-io.ts';
import { CachedSequence } from './cached-sequence.ts';
import type { KvCacheKind, KvFeeds, KvLayout } from './kv-cache.ts';
import { kvTensor } from './kv-cache.ts';
import { pastKeyName, pastValueName } from '../graph-io.ts';
import type { LoadedModel } from './model-session.ts';

export interface ComputeLogitsOptions {
  /** Feed the first `prefill` ids in one pass, then the rest one at a time through the KV cache. Default: all in one pass. */
  prefill?: number;
  cache?: KvCacheKind;
}

/** Logits of every position, [ids.length, vocab] row-major. */
export async function computeLogits(model: LoadedModel, ids: readonly number[], options: ComputeLogitsOptions = {}): Promise<Float32Array> {
  if (ids.length === 0) throw new RangeError('computeLogits needs at least one token.');
  const prefill = options.prefill ?? ids.length;
  if (!Number.isInteger(prefill) || prefill < 1 || prefill > ids.length) {
    throw new RangeError(`prefill must be between 1 and the ${ids.length} ids, got ${prefill}.`);
  }
  const sequence = new CachedSequence(model, { contextLength: Math.min(ids.length, model.spec.contextLength), cache: options.cache });
  try {
    const vocab = model.spec.vocabSize;
    const out = new Float32Array(ids.length * vocab);
    out.set(await sequence.feed(ids.slice(0, prefill), 'all'), 0);
    for (let i = prefill; i < ids.length; i++) out.set(await sequence.feed([ids[i]], 'last'), i * vocab);
    return out;
  } finally {
    sequence.dispose();
  }
}

export interface PaddedBatch {
  /** [batch][length] token ids; padded positions hold any id. */
  inputIds: readonly (readonly number[])[];
  /** [batch][length]: 1 for a real token, 0 for padding (left padding as Hugging Face gives it, or any other). */
  attentionMask: readonly (readonly number[])[];
}

/**
 * Logits [batch, length, vocab] at the batch's own positions. GroupQueryAttention takes
 * right-padded rows, so each row's real tokens are moved to the front, the batch runs once,
 * and the logits are put back where the tokens came from. Padded positions hold NaN.
 */
export async function computeBatchLogits(model: LoadedModel, batch: PaddedBatch): Promise<Float32Array> {
  const rows = batch.inputIds.length;
  const length = batch.inputIds[0]?.length ?? 0;
  if (rows === 0 || length === 0) throw new RangeError('computeBatchLogits needs a non-empty batch.');
  if (batch.attentionMask.length !== rows || batch.inputIds.some((row, b) => row.length !== length || batch.attentionMask[b].length !== length)) {
    throw new RangeError('inputIds and attentionMask must both be [batch][length] with equal lengths.');
  }
  const realPositions = batch.attentionMask.map((row) => row.flatMap((m, i) => (m ? [i] : [])));
  if (realPositions.some((positions) => positions.length === 0)) throw new RangeError('Every row of the batch needs at least one real token.');

  const padId = BigInt(model.spec.padTokenId ?? 0);
  const ids = new BigInt64Array(rows * length).fill(padId);
  const mask = new BigInt64Array(rows * length);
  const positions = new BigInt64Array(rows * length);
  realPositions.forEach((from, b) => {
    from.forEach((source, j) => {
      ids[b * length + j] = BigInt(batch.inputIds[b][source]);
      mask[b * length + j] = 1n;
      positions[b * length + j] = BigInt(j);
    });
  });

  const { spec, manifest } = model;
  const layout: KvLayout = { numLayers: spec.numLayers, numKvHeads: spec.attention.numKvHeads, headDim: spec.attention.headDim, dtype: manifest.kvDtype };
  const feeds: KvFeeds = {
    [INPUT_IDS]: new Tensor('int64', ids, [rows, length]),
    [ATTENTION_MASK]: new Tensor('int64', mask, [rows, length]),
    [POSITION_IDS]: new Tensor('int64', positions, [rows, length]),
    [NUM_LOGITS_TO_KEEP]: new Tensor('int64', new BigInt64Array([0n]), []),
  };
  for (let i = 0; i < spec.numLayers; i++) {
    feeds[pastKeyName(i)] = batchOf(kvTensor(Tensor, layout, 0), rows);
    feeds[pastValueName(i)] = batchOf(kvTensor(Tensor, layout, 0), rows);
  }
  const outputs = await model.session.run(feeds, { [LOGITS]: null });
  const realigned = outputs[LOGITS].data as Float32Array;

  const vocab = spec.vocabSize;
  const out = new Float32Array(rows * length * vocab).fill(Number.NaN);
  realPositions.forEach((from, b) => {
    from.forEach((source, j) => {
      const at = (b * length + j) * vocab;
      out.set(realigned.subarray(at, at + vocab), (b * length + source) * vocab);
    });
  });
  return out;
}

/** An empty past with a batch dimension of `rows`. */
function batchOf(empty: Tensor, rows: number): Tensor {
  return new Tensor(empty.type as 'float32', empty.data as Float32Array, [rows, ...empty.dims.slice(1)]);
}
