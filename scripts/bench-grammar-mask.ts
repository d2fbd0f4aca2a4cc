// What structured output costs per token: xgrammar's allowed-token bitmask for the next step,
// applied to the logits, and the grammar following the token picked (engine/grammar), against
// sampling the same logits unconstrained. Two measurements:
//
// 1. Mask alone, on a tokenizer's real vocabulary (the demo model's 1k tokens by default; give
//    --tokenizer with a Qwen2.5 folder for its 152k): a reply of --tokens tokens sampled from
//    seeded random logits under the person schema, timed per step with and without the grammar,
//    the last 64 steps (where the way out is checked) reported apart. Also the one-time costs:
//    the tokenizer's grammar compiler, the schema's grammar, and the closing-rank table.
// 2. With --model (default: the bundled demo model, built into a temporary folder): whole decode
//    steps of a real generation, same seed, with and without the response format, interleaved.
//
//   npx tsx scripts/bench-grammar-mask.ts [--tokenizer DIR] [--tokens 256] [--runs 3] [--no-model]
//
// Prints medians in milliseconds, the CPU, and how busy the rest of the machine was.
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startContentionMeter } from '../main/engine/bench/cpu-contention.ts';
import { buildModel } from '../main/engine/builder/build-model.ts';
import { closingRanksOf } from '../main/engine/grammar/closing-ranks.ts';
import { CompiledGrammarCache, type ConstrainedFormat } from '../main/engine/grammar/compiled-grammar-cache.ts';
import { GrammarConstraint } from '../main/engine/grammar/grammar-constraint.ts';
import { collectGeneration, generate } from '../main/engine/runtime/generate.ts';
import { openModel } from '../main/engine/runtime/model-session.ts';
import { sampleNextToken, type SamplingParams } from '../main/engine/runtime/sampler.ts';
import { SeededRandom } from '../main/engine/runtime/seeded-random.ts';
import { loadTokenizer } from '../main/engine/tokenizer/load-tokenizer.ts';
import type { TextTokenizer } from '../main/engine/tokenizer/text-tokenizer.ts';

const DEMO_MODEL_DIR = fileURLToPath(new URL('../resources/models/shakespeare-5m/', import.meta.url));
const WINDOW = 64;

const PERSON: ConstrainedFormat = {
  type: 'json_schema',
  json_schema: {
    name: 'person',
    schema: {
      type: 'object',
      properties: { name: { type: 'string' }, age: { type: 'integer' }, tags: { type: 'array', items: { type: 'string' } } },
      required: ['name', 'age', 'tags'],
    },
  },
};
const SAMPLING: SamplingParams = { temperature: 1, topK: 0, topP: 1, minP: 0, repetitionPenalty: 1, recentIds: [] };

const { values: args } = parseArgs({
  options: {
    tokenizer: { type: 'string', default: DEMO_MODEL_DIR },
    tokens: { type: 'string', default: '256' },
    runs: { type: 'string', default: '3' },
    'no-model': { type: 'boolean', default: false },
  },
});
const tokens = Number(args.tokens);
const runs = Number(args.runs);

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const ms = (value: number) => value.toFixed(3);

/** Seeded logits, roughly like a model's: most tokens far below a few. */
function randomLogits(size: number, random: SeededRandom): Float32Array {
  const row = new Float32Array(size);
  for (let i = 0; i < size; i++) row[i] = -Math.log(-Math.log(random.next() + 1e-12) + 1e-12) * 2;
  return row;
}

async function maskAlone(tokenizer: TextTokenizer, vocabSize: number): Promise<void> {
  const stopTokenIds = [tokenizer.eosTokenId ?? 0];
  const cache = new CompiledGrammarCache();
  let started = performance.now();
  (await GrammarConstraint.create(tokenizer, { type: 'json_object' }, { vocabSize, stopTokenIds, cache })).dispose();
  const firstGrammarMs = performance.now() - started;
  started = performance.now();
  (await GrammarConstraint.create(tokenizer, PERSON, { vocabSize, stopTokenIds, cache })).dispose();
  const schemaMs = performance.now() - started;
  started = performance.now();
  closingRanksOf(tokenizer);
  const ranksMs = performance.now() - started;
  console.log(`vocabulary ${vocabSize} tokens (${tokenizer.origin})`);
  console.log(`  one-time: compiler + json_object grammar ${ms(firstGrammarMs)} ms, person schema ${ms(schemaMs)} ms, closing-rank table ${ms(ranksMs)} ms`);

  const plain: number[] = [];
  const early: number[] = [];
  const window: number[] = [];
  for (let run = 0; run < runs; run++) {
    // Unconstrained and constrained on the same logits, interleaved run by run.
    const logitsRandom = new SeededRandom(run);
    const rows = Array.from({ length: Math.min(tokens, 32) }, () => randomLogits(vocabSize, logitsRandom));
    let random = new SeededRandom(1000 + run);
    for (let step = 0; step < tokens; step++) {
      const t = performance.now();
      sampleNextToken(rows[step % rows.length], SAMPLING, random);
      plain.push(performance.now() - t);
    }
    random = new SeededRandom(1000 + run);
    const grammar = await GrammarConstraint.create(tokenizer, PERSON, { vocabSize, stopTokenIds, cache });
    for (let step = 0; step < tokens && !grammar.isComplete; step++) {
      const t = performance.now();
      await grammar.next(rows[step % rows.length], tokens - step, (row) => sampleNextToken(row, SAMPLING, random));
      (tokens - step > WINDOW ? early : window).push(performance.now() - t);
    }
    grammar.dispose();
  }
  const base = median(plain);
  console.log(`  sampling alone:                 ${ms(base)} ms/token (median of ${plain.length})`);
  if (early.length) console.log(`  with the grammar:               ${ms(median(early))} ms/token, +${ms(median(early) - base)} (median of ${early.length})`);
  console.log(`  … in the last ${WINDOW} tokens (way out checked): ${ms(median(window))} ms/token, +${ms(median(window) - base)} (median of ${window.length})`);
}

async function wholeSteps(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'hearth-grammar-bench-'));
  try {
    const dir = join(root, 'shakespeare-5m');
    await buildModel(DEMO_MODEL_DIR, dir, { precision: 'fp32' });
    const model = await openModel(dir, { threads: 1 });
    const tokenizer = await loadTokenizer(dir);
    const prompt = tokenizer.encodeChat([{ role: 'user', content: 'Describe a person as JSON.' }], { addGenerationPrompt: true });
    const perToken = { free: [] as number[], constrained: [] as number[] };
    for (let run = 0; run < runs; run++) {
      for (const kind of ['free', 'constrained'] as const) {
        const options = { temperature: 1, topK: 0, seed: run, maxNewTokens: tokens, ignoreEos: kind === 'free' };
        const result = await collectGeneration(generate(model, tokenizer, prompt, kind === 'free' ? options : { ...options, responseFormat: PERSON }));
        perToken[kind].push(...result.perTokenMs.slice(1));
      }
    }
    await model.release();
    const free = median(perToken.free);
    const constrained = median(perToken.constrained);
    console.log(`demo model decode step (1 thread, ${tokens} tokens × ${runs}, interleaved): free ${ms(free)} ms, json_schema ${ms(constrained)} ms (+${ms(constrained - free)})`);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

const meter = startContentionMeter();
console.log(`CPU: ${cpus()[0]?.model ?? 'unknown'} × ${cpus().length}`);
const tokenizer = await loadTokenizer(args.tokenizer);
await maskAlone(tokenizer, tokenizer.vocabSize);
if (!args['no-model']) await wholeSteps();
const busy = meter.stop();
console.log(`other processes used ${busy === null ? 'an unknown share' : `${busy.toFixed(0)} %`} of the machine's CPU time meanwhile`);
