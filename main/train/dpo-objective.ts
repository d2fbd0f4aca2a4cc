// What a DPO job trains on and how it scores: preference pairs (validated before anything runs),
// their reference log-probabilities, the batches of the training graph's DPO objective, and the
// evaluation of held-out pairs.
//
// The reference policy is the base model: the same graph with every LoRA B matrix at zero, so
// the LoRA path adds exactly nothing, and a job scores it (and its eval pairs) with its one
// training session: the base weights are held once. As in TRL with a PEFT model (adapter disabled) and with
// precompute_ref_log_probs, the reference log-probabilities are computed once per pair before
// training; they do not change while the adapter learns.
import type { TextTokenizer } from '../engine/tokenizer/text-tokenizer.ts';
import { readPreferenceDataset, type PreferenceLine } from './preference-dataset.ts';
import { tokenizePreferences, type PreferencePair } from './preference-examples.ts';
import { PreferenceTally, type PreferenceMetrics } from './preference-rewards.ts';
import { DatasetError } from './sft-dataset.ts';
import { collateBatch, realTokens } from './token-batch.ts';
import type { PreferenceFeeds, TokenBatch, TrainingSession } from './training-session.ts';

export const DEFAULT_DPO_BETA = 0.1;

export interface PreferenceData {
  train: PreferencePair[];
  eval: PreferencePair[];
  truncated: number;
  /** Lines dropped because their prompt fills the maximum length. */
  dropped: number[];
}

export interface DpoBatch {
  batch: TokenBatch;
  feeds: PreferenceFeeds;
  /** Non-padding tokens. */
  tokens: number;
  pairs: PreferencePair[];
}

/** Reads, validates and tokenizes the pairs; `split` holds out eval lines when there is no eval file. */
export async function preparePreferenceData(
  tokenizer: TextTokenizer,
  dataPath: string,
  evalPath: string | undefined,
  maxLength: number,
  split: (rows: PreferenceLine[]) => { train: PreferenceLine[]; eval: PreferenceLine[] },
): Promise<PreferenceData & { evalSource: 'file' | 'split' | 'none' }> {
  const rows = await readPreferenceDataset(dataPath);
  const parts = evalPath ? { train: rows, eval: await readPreferenceDataset(evalPath) } : split(rows);
  const train = tokenizePreferences(tokenizer, parts.train, maxLength);
  const evaluation = tokenizePreferences(tokenizer, parts.eval, maxLength);
  if (train.pairs.length === 0) throw new DatasetError(`${dataPath}: every pair's prompt fills the maximum length of ${maxLength} tokens, so no completion is left to compare; raise the maximum length.`);
  return {
    train: train.pairs,
    eval: evaluation.pairs,
    truncated: train.truncated + evaluation.truncated,
    dropped: [...train.dropped, ...evaluation.dropped],
    evalSource: evalPath ? 'file' : parts.eval.length > 0 ? 'split' : 'none',
  };
}

/** The LoRA inputs with every B at zero: the graph then computes the base model. */
export function adapterOff(params: ReadonlyMap<string, Float32Array>): Map<string, Float32Array> {
  return new Map([...params].map(([name, data]) => [name, name.endsWith('.lora_B.weight') ? new Float32Array(data.length) : data]));
}

/** Chosen rows, then rejected rows, right-padded to one length (TRL's concatenated batch). */
export function collatePairs(pairs: readonly PreferencePair[], padTokenId: number, refLogps: ReadonlyMap<PreferencePair, [number, number]> | null, beta: number): DpoBatch {
  const batch = collateBatch([...pairs.map((p) => p.chosen), ...pairs.map((p) => p.rejected)], padTokenId);
  const ref = new Float32Array(pairs.length * 2);
  if (refLogps) {
    pairs.forEach((pair, i) => {
      const [chosen, rejected] = refLogps.get(pair)!;
      ref[i] = chosen;
      ref[pairs.length + i] = rejected;
    });
  }
  return { batch, feeds: { refLogps: ref, beta }, tokens: realTokens(batch), pairs: [...pairs] };
}

/**
 * Summed completion log-probabilities of each pair, [chosen, rejected], under `params` (the
 * adapter off for the reference), from any training graph: a DPO graph's own loss is ignored.
 */
export async function completionLogps(session: TrainingSession, pairs: readonly PreferencePair[], params: ReadonlyMap<string, Float32Array>, pairsPerBatch: number, padTokenId: number): Promise<Map<PreferencePair, [number, number]>> {
  const out = new Map<PreferencePair, [number, number]>();
  for (let i = 0; i < pairs.length; i += pairsPerBatch) {
    const slice = pairs.slice(i, i + pairsPerBatch);
    const { batch, feeds } = collatePairs(slice, padTokenId, null, 0);
    const run = await session.run(batch, params, noDropout(session, batch), feeds);
    slice.forEach((pair, k) => out.set(pair, [-run.rowNll[k], -run.rowNll[slice.length + k]]));
  }
  return out;
}

/** A training graph with LoRA dropout scores with every mask at 1 (no dropout, as PyTorch's eval mode). */
function noDropout(session: TrainingSession, batch: TokenBatch): Map<string, Float32Array> | undefined {
  const masks = session.graph.dropoutMasks;
  if (masks.length === 0) return undefined;
  return new Map(masks.map((m) => [m.name, new Float32Array(batch.rows * batch.length * m.inFeatures).fill(1)]));
}

/** DPO's loss and rewards over held-out pairs under the current adapter. */
export async function evaluatePreferences(session: TrainingSession, pairs: readonly PreferencePair[], params: ReadonlyMap<string, Float32Array>, refLogps: ReadonlyMap<PreferencePair, [number, number]>, beta: number, pairsPerBatch: number, padTokenId: number): Promise<PreferenceMetrics> {
  const policy = await completionLogps(session, pairs, params, pairsPerBatch, padTokenId);
  const tally = new PreferenceTally(beta);
  for (const pair of pairs) {
    const [pc, pr] = policy.get(pair)!;
    const [rc, rr] = refLogps.get(pair)!;
    tally.add([pc, pr], [rc, rr]);
  }
  return tally.metrics();
}
