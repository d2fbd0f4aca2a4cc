// `hearth eval` on a preference file: DPO's implicit rewards of a trained adapter on held-out
// pairs. Each completion's reward is β·(log π(completion) − log π_ref(completion)), summed over its
// tokens, with π the base with the adapter applied at run time and π_ref the base alone (the same
// graph with the adapter's B matrices at zero); the preference accuracy is the share of pairs
// whose chosen reward beats the rejected one, and the margin the mean of their difference.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openModelSource } from '../engine/architectures/model-source.ts';
import { loadTokenizer } from '../engine/tokenizer/load-tokenizer.ts';
import { adapterOff, completionLogps, DEFAULT_DPO_BETA, evaluatePreferences } from './dpo-objective.ts';
import { loraParameters, loraScaling } from './lora-adapter.ts';
import { readPeftAdapter } from './peft-adapter-files.ts';
import { readPreferenceDataset } from './preference-dataset.ts';
import { tokenizePreferences } from './preference-examples.ts';
import type { PreferenceMetrics } from './preference-rewards.ts';
import { writeTrainingGraph } from './training-graph.ts';
import { TrainingSession } from './training-session.ts';

export interface PreferenceEvalOptions {
  baseDir: string;
  /** A PEFT adapter folder: the policy whose rewards are measured. */
  adapter: string;
  dataPath: string;
  beta?: number;
  /** Pairs per batch. */
  batchSize?: number;
  maxLength?: number;
  threads?: number;
}

export interface PreferenceEvalResult extends PreferenceMetrics {
  truncated: number;
  /** Lines left out because the prompt alone fills the maximum length. */
  dropped: number[];
}

/** Whether a JSONL file holds preference pairs: its first non-blank line has "chosen". */
export async function isPreferenceFile(path: string): Promise<boolean> {
  // An unreadable file is not one: the dataset reader then says why it cannot be read.
  const text = await readFile(path, 'utf8').catch(() => '');
  const first = text.split(/\r?\n/).find((line) => line.trim() !== '');
  if (first === undefined) return false;
  try {
    const json = JSON.parse(first) as unknown;
    return json !== null && typeof json === 'object' && 'chosen' in json;
  } catch {
    return false;
  }
}

export async function evaluatePreferenceFile(options: PreferenceEvalOptions): Promise<PreferenceEvalResult> {
  const source = await openModelSource(options.baseDir);
  const scratch = await mkdtemp(join(tmpdir(), 'hearth-eval-prefs-'));
  try {
    const adapter = await readPeftAdapter(options.adapter, source.spec);
    const tokenizer = await loadTokenizer(options.baseDir);
    const lines = await readPreferenceDataset(options.dataPath);
    const maxLength = Math.min(options.maxLength ?? source.spec.contextLength, source.spec.contextLength);
    const { pairs, truncated, dropped } = tokenizePreferences(tokenizer, lines, maxLength);
    const graph = await writeTrainingGraph(source, scratch, 'eval.onnx', {
      r: adapter.settings.r,
      scaling: loraScaling(adapter.settings),
      targets: adapter.modules.map((m) => m.path),
      dropout: false,
      gradients: false,
    });
    const session = await TrainingSession.open(graph, { threads: options.threads });
    const params = new Map(loraParameters(adapter).map((p) => [p.name, p.data]));
    const padTokenId = tokenizer.padTokenId ?? tokenizer.eosTokenId ?? 0;
    const batchSize = options.batchSize ?? 8;
    try {
      const reference = await completionLogps(session, pairs, adapterOff(params), batchSize, padTokenId);
      const metrics = await evaluatePreferences(session, pairs, params, reference, options.beta ?? DEFAULT_DPO_BETA, batchSize, padTokenId);
      return { ...metrics, truncated, dropped };
    } finally {
      await session.release();
    }
  } finally {
    await source.close();
    await rm(scratch, { recursive: true, force: true });
  }
}
