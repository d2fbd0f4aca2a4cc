// Examples collated into one right-padded batch: padding has attention 0 and label −100.
import { IGNORE_INDEX } from './causal-lm-loss.ts';
import type { SftExample } from './sft-examples.ts';
import type { TokenBatch } from './training-session.ts';

export function collateBatch(examples: readonly Pick<SftExample, 'ids' | 'labels'>[], padTokenId: number): TokenBatch {
  const rows = examples.length;
  const length = Math.max(...examples.map((e) => e.ids.length));
  const inputIds = new BigInt64Array(rows * length).fill(BigInt(padTokenId));
  const attentionMask = new BigInt64Array(rows * length);
  const labels = new BigInt64Array(rows * length).fill(BigInt(IGNORE_INDEX));
  examples.forEach((example, r) => {
    example.ids.forEach((id, t) => {
      inputIds[r * length + t] = BigInt(id);
      attentionMask[r * length + t] = 1n;
      labels[r * length + t] = BigInt(example.labels[t]);
    });
  });
  return { rows, length, inputIds, attentionMask, labels };
}

/** Tokens that are not padding. */
export function realTokens(batch: TokenBatch): number {
  let count = 0;
  for (const m of batch.attentionMask) count += Number(m);
  return count;
}
