import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { buildModel } from '../engine/builder/build-model.ts';
import { computeLogits } from '../engine/runtime/logits.ts';
import { openModel } from '../engine/runtime/model-session.ts';
import { loadTokenizer } from '../engine/tokenizer/load-tokenizer.ts';
import { buildAdaptedModel } from './adapted-build.ts';
import { FIXTURES_MISSING, LORA_FIXTURES, SHAKESPEARE_DIR } from './test/reference-batch.ts';

/** Greedy continuation without a cache: enough for a few tokens. */
async function greedy(dir: string, prompt: number[], count: number): Promise<number[]> {
  const model = await openModel(dir);
  try {
    const ids = [...prompt];
    for (let i = 0; i < count; i++) {
      const logits = await computeLogits(model, ids);
      const last = logits.subarray((ids.length - 1) * model.spec.vocabSize);
      ids.push(last.indexOf(Math.max(...last)));
    }
    return ids.slice(prompt.length);
  } finally {
    await model.release();
  }
}

describe('building a model with an adapter folded in', { skip: FIXTURES_MISSING }, () => {
  it('answers as the adapter taught (int8 build), while the base model does not; its source hash differs', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hearth-adapted-'));
    try {
      const tokenizer = await loadTokenizer(SHAKESPEARE_DIR);
      const prompt = tokenizer.encodeChat([{ role: 'user', content: 'Greet Montague.' }], { addGenerationPrompt: true });
      const adapted = await buildAdaptedModel(SHAKESPEARE_DIR, join(LORA_FIXTURES, 'adapter_greet'), join(dir, 'adapted'), { precision: 'int8' });
      const base = await buildModel(SHAKESPEARE_DIR, join(dir, 'base'), { precision: 'int8' });
      assert.notEqual(adapted.sourceHash, base.sourceHash);
      assert.equal(tokenizer.decode(await greedy(join(dir, 'adapted'), prompt, 11)), 'Good morrow, Montague!');
      assert.ok(!tokenizer.decode(await greedy(join(dir, 'base'), prompt, 11)).startsWith('Good morrow'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
