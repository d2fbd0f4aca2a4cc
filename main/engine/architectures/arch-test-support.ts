// Test support shared by the architecture tests: a temporary folder per test, and loading every
// canonical weight of a model source while recording which checkpoint tensors were read.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { F32Tensor, WeightName } from '../../common/model-spec.ts';
import { openModelSource, type ModelSource } from './model-source.ts';
import { specWeightNames } from './spec-weights.ts';
import { writeTestModel, type TestModel } from './test-model-writer.ts';

export async function tempModelDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hearth-arch-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export interface LoadedModel {
  source: ModelSource;
  /** The tensors as written to the checkpoint, by checkpoint name. */
  written: Record<string, F32Tensor>;
  /** Every canonical weight the spec has, loaded (and shape-checked) through source.weight. */
  weights: Map<WeightName, F32Tensor>;
}

/** Writes the model, opens it, loads every weight, and asserts that every checkpoint tensor was used. */
export async function writeAndLoad(t: { after: (fn: () => Promise<void>) => void }, model: TestModel): Promise<LoadedModel> {
  const dir = await tempModelDir(t);
  const written = await writeTestModel(dir, model);
  const source = await openModelSource(dir);
  t.after(() => source.close());
  const read = new Set<string>();
  const readF32 = source.checkpoint.readF32.bind(source.checkpoint);
  source.checkpoint.readF32 = (name: string) => {
    read.add(name);
    return readF32(name);
  };
  const weights = new Map<WeightName, F32Tensor>();
  for (const name of specWeightNames(source.spec)) {
    const tensor = await source.weight(name);
    assert.ok(tensor, `${name} loads`);
    weights.set(name, tensor);
  }
  assert.deepEqual([...read].sort(), Object.keys(written).sort(), 'every checkpoint tensor is used');
  return { source, written, weights };
}
