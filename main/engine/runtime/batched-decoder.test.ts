// Continuous batching: sequences generating at once, their decode steps run as one batch, give
// exactly the greedy ids each gives alone (shakespeare-5m, and the hf-tiny architectures with
// fused attention); a finished sequence leaves the batch and the others go on; stopping one
// does not disturb the others.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadTokenizer } from '../tokenizer/load-tokenizer.ts';
import type { TextTokenizer } from '../tokenizer/text-tokenizer.ts';
import { BatchedDecoder } from './batched-decoder.ts';
import { collectGeneration, generate, generateInSequence, type GenerationOptions, type GenerationResult } from './generate.ts';
import { openModel } from './model-session.ts';
import type { LoadedModel } from './model-session.ts';
import { FixtureBuilds, HF_TINY_DIR, SHAKESPEARE_DIR, fixturesMissing } from './test/reference-fixtures.ts';

const builds = new FixtureBuilds();
after(() => builds.cleanup());

const GREEDY: GenerationOptions = { temperature: 0, ignoreEos: true };

/** Each prompt generated alone, in a sequence of its own (the unbatched path). */
async function alone(model: LoadedModel, prompts: readonly number[][], maxNewTokens: number[]): Promise<number[][]> {
  const results: number[][] = [];
  for (let i = 0; i < prompts.length; i++) {
    results.push((await collectGeneration(generate(model, null, prompts[i], { ...GREEDY, maxNewTokens: maxNewTokens[i] }))).ids);
  }
  return results;
}

/** Every prompt generated at once through one decoder. */
async function together(decoder: BatchedDecoder, prompts: readonly number[][], maxNewTokens: number[], signals: (AbortSignal | undefined)[] = []): Promise<GenerationResult[]> {
  return Promise.all(
    prompts.map(async (prompt, i) => {
      const sequence = decoder.openSequence(128);
      try {
        return await collectGeneration(generateInSequence(sequence, null, prompt, { ...GREEDY, maxNewTokens: maxNewTokens[i] }, signals[i]));
      } finally {
        sequence.dispose();
      }
    }),
  );
}

describe('BatchedDecoder on shakespeare-5m', { skip: fixturesMissing(SHAKESPEARE_DIR) }, () => {
  let model: LoadedModel;
  let tokenizer: TextTokenizer;
  let prompts: number[][];
  before(async () => {
    const dir = await builds.build(SHAKESPEARE_DIR, 'shakespeare-5m');
    model = await openModel(dir, { threads: 2 });
    tokenizer = await loadTokenizer(dir);
    prompts = ['ROMEO:', 'First Citizen:\nBefore we proceed any further, hear me speak.', 'KING'].map((text) => tokenizer.encode(text));
  });
  after(() => model?.release());

  it('two sequences decoded in one batch give exactly the ids each gives alone', async () => {
    const lengths = [40, 40];
    const expected = await alone(model, prompts.slice(0, 2), lengths);
    const decoder = new BatchedDecoder(model);
    assert.equal(decoder.batching, true);
    const results = await together(decoder, prompts.slice(0, 2), lengths);
    assert.deepEqual(
      results.map((r) => r.ids),
      expected,
    );
    // Not just taking turns: most steps decoded both at once.
    assert.ok(decoder.stats.batchedSteps >= 35, `batched steps: ${decoder.stats.batchedSteps}`);
    assert.equal(decoder.openSequences, 0);
    assert.equal(decoder.batchRows, 0);
  });

  it('a sequence that finishes leaves the batch and the others go on unchanged (rows grow past one growth step)', async () => {
    // Different lengths: the first ends early; the second outgrows the batch's first 128 slots.
    const lengths = [5, 100, 60];
    const expected = await alone(model, prompts, lengths);
    const decoder = new BatchedDecoder(model);
    let rowsAfterFirstEnded = -1;
    const results = await Promise.all(
      prompts.map(async (prompt, i) => {
        const sequence = decoder.openSequence(160);
        try {
          return await collectGeneration(generateInSequence(sequence, null, prompt, { ...GREEDY, maxNewTokens: lengths[i] }));
        } finally {
          sequence.dispose();
          if (i === 0) rowsAfterFirstEnded = decoder.batchRows;
        }
      }),
    );
    assert.deepEqual(
      results.map((r) => r.ids),
      expected,
    );
    assert.ok(rowsAfterFirstEnded <= 2, `rows once the first sequence ended: ${rowsAfterFirstEnded}`);
    assert.equal(decoder.batchRows, 0);
  });

  it('stopping one sequence does not disturb the other', async () => {
    const expected = await alone(model, prompts.slice(0, 2), [50, 50]);
    const decoder = new BatchedDecoder(model);
    const controller = new AbortController();
    const first = decoder.openSequence(128);
    const second = decoder.openSequence(128);
    const stopped = collectGeneration(generateInSequence(first, null, prompts[0], { ...GREEDY, maxNewTokens: 50 }, controller.signal), (event) => {
      if (first.length >= prompts[0].length + 10) controller.abort();
      void event;
    });
    const full = collectGeneration(generateInSequence(second, null, prompts[1], { ...GREEDY, maxNewTokens: 50 }));
    const [a, b] = await Promise.all([stopped, full]);
    assert.equal(a.stopReason, 'aborted');
    assert.ok(a.ids.length < 50);
    assert.deepEqual(a.ids, expected[0].slice(0, a.ids.length));
    assert.deepEqual(b.ids, expected[1]);
    first.dispose();
    second.dispose();
  });

  it('int4 (MatMulNBits, activations quantized per row and block): batched ids equal the ids alone', async () => {
    const int4 = await openModel(await builds.build(SHAKESPEARE_DIR, 'shakespeare-5m', 'int4'), { threads: 2 });
    try {
      const lengths = [40, 40, 40];
      const expected = await alone(int4, prompts, lengths);
      const results = await together(new BatchedDecoder(int4), prompts, lengths);
      assert.deepEqual(
        results.map((r) => r.ids),
        expected,
      );
    } finally {
      await int4.release();
    }
  });

  it('a sequence continued after a batched turn (its KV copied back) matches one that never was batched', async () => {
    const decoder = new BatchedDecoder(model);
    const [sequenceA, sequenceB] = [decoder.openSequence(128), decoder.openSequence(128)];
    await Promise.all([
      collectGeneration(generateInSequence(sequenceA, null, prompts[0], { ...GREEDY, maxNewTokens: 20 })),
      collectGeneration(generateInSequence(sequenceB, null, prompts[1], { ...GREEDY, maxNewTokens: 20 })),
    ]);
    // A second turn of A alone, after its row was copied back into its own cache.
    const firstTurn = [...sequenceA.tokens];
    assert.equal(firstTurn.length, prompts[0].length + 19, 'the last generated token is not fed');
    const followUp = tokenizer.encode('\nJULIET:');
    const continued = await collectGeneration(generateInSequence(sequenceA, null, followUp, { ...GREEDY, maxNewTokens: 15 }));
    const whole = [...firstTurn, ...followUp];
    const fresh = await collectGeneration(generate(model, null, whole, { ...GREEDY, maxNewTokens: 15 }));
    assert.deepEqual(continued.ids, fresh.ids);
    sequenceA.dispose();
    sequenceB.dispose();
  });
});

describe('BatchedDecoder on the hf-tiny architectures', { skip: fixturesMissing(HF_TINY_DIR) }, () => {
  for (const name of ['llama', 'qwen2', 'mpt', 'gpt2']) {
    it(`${name}: three sequences at once give each one's greedy ids alone`, async () => {
      const model = await openModel(await builds.build(join(HF_TINY_DIR, name), name), { threads: 2 });
      try {
        const vocab = model.spec.vocabSize;
        const prompts = [[1, 5, 9], [2, 7, 11, 13, 17, 19, 23], [3]].map((ids) => ids.map((id) => id % vocab));
        const lengths = [12, 20, 16];
        const expected = await alone(model, prompts, lengths);
        const decoder = new BatchedDecoder(model);
        const results = await together(decoder, prompts, lengths);
        assert.deepEqual(
          results.map((r) => r.ids),
          expected,
        );
        assert.ok(decoder.stats.batchedSteps > 0);
      } finally {
        await model.release();
      }
    });
  }

  it('reference attention (a growing cache): sequences take turns, one call each, with the same ids', async () => {
    const model = await openModel(await builds.build(join(HF_TINY_DIR, 'llama'), 'llama', 'fp32', 'reference'), { threads: 2 });
    try {
      const prompts = [[1, 5, 9], [2, 7, 11, 13]];
      const expected = await alone(model, prompts, [10, 10]);
      const decoder = new BatchedDecoder(model);
      assert.equal(decoder.batching, false);
      assert.deepEqual(
        (await together(decoder, prompts, [10, 10])).map((r) => r.ids),
        expected,
      );
      assert.equal(decoder.stats.batchedSteps, 0);
    } finally {
      await model.release();
    }
  });
});
