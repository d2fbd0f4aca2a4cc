// `hearth eval`: the mean negative log-likelihood of the assistant answers of a JSONL file,
// under the base model or the base model with an adapter applied at run time (its A/B matrices
// fed to the LoRA graph's inputs, nothing merged). Each example is scored on its last turn: the
// prompt is every turn before it plus the generation header, the answer is the last message's
// content followed by the template's end-of-turn text. The mean is over answer tokens.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openModelSource } from '../engine/architectures/model-source.ts';
import { loadTokenizer } from '../engine/tokenizer/load-tokenizer.ts';
import { loraParameters, loraScaling, type LoraAdapter } from './lora-adapter.ts';
import { readPeftAdapter } from './peft-adapter-files.ts';
import { readSftDataset } from './sft-dataset.ts';
import { tokenizeDataset } from './sft-examples.ts';
import { collateBatch } from './token-batch.ts';
import { writeTrainingGraph } from './training-graph.ts';
import { TrainingSession } from './training-session.ts';
import type { BaseDtype } from '../common/contracts/jobs.ts';

export interface AnswerNllOptions {
  baseDir: string;
  /** A PEFT adapter folder, or an adapter in memory; none scores the base model. */
  adapter?: string | LoraAdapter;
  dataPath: string;
  batchSize?: number;
  maxLength?: number;
  threads?: number;
  /** The base's precision while scoring (default fp32). */
  baseDtype?: BaseDtype;
  onProgress?: (done: number, total: number) => void;
}

export interface AnswerNllResult {
  /** Mean NLL per answer token over the whole file. */
  nll: number;
  tokens: number;
  examples: number;
  /** The mean of each example's own mean NLL (weights examples equally). */
  meanOfExamples: number;
  truncated: number;
}

export async function evaluateAnswerNll(options: AnswerNllOptions): Promise<AnswerNllResult> {
  const source = await openModelSource(options.baseDir);
  const scratch = await mkdtemp(join(tmpdir(), 'hearth-eval-'));
  try {
    const adapter = typeof options.adapter === 'string' ? await readPeftAdapter(options.adapter, source.spec) : options.adapter;
    const tokenizer = await loadTokenizer(options.baseDir);
    const rows = await readSftDataset(options.dataPath);
    const maxLength = Math.min(options.maxLength ?? source.spec.contextLength, source.spec.contextLength);
    const { examples, truncated } = tokenizeDataset(tokenizer, rows, { maxLength, lastTurnOnly: true });
    const graph = await writeTrainingGraph(source, scratch, 'eval.onnx', {
      r: adapter?.settings.r ?? 1,
      scaling: adapter ? loraScaling(adapter.settings) : 1,
      targets: adapter?.modules.map((m) => m.path) ?? [],
      dropout: false,
      gradients: false,
      baseDtype: options.baseDtype,
    });
    const session = await TrainingSession.open(graph, { threads: options.threads });
    const params = new Map(adapter ? loraParameters(adapter).map((p) => [p.name, p.data]) : []);
    const padTokenId = tokenizer.padTokenId ?? tokenizer.eosTokenId ?? 0;
    const batchSize = options.batchSize ?? 8;
    let nll = 0;
    let tokens = 0;
    let exampleMeans = 0;
    try {
      for (let i = 0; i < examples.length; i += batchSize) {
        const run = await session.run(collateBatch(examples.slice(i, i + batchSize), padTokenId), params);
        run.rowNll.forEach((value, r) => {
          nll += value;
          tokens += run.rowTokens[r];
          exampleMeans += value / Math.max(run.rowTokens[r], 1);
        });
        options.onProgress?.(Math.min(i + batchSize, examples.length), examples.length);
      }
    } finally {
      await session.release();
    }
    return { nll: nll / Math.max(tokens, 1), tokens, examples: examples.length, meanOfExamples: exampleMeans / Math.max(examples.length, 1), truncated };
  } finally {
    await source.close();
    await rm(scratch, { recursive: true, force: true });
  }
}
