import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSamplingDefaults } from './sampling-defaults.ts';

function folderWith(generationConfig: string | null): string {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-sampling-'));
  if (generationConfig !== null) writeFileSync(join(dir, 'generation_config.json'), generationConfig);
  return dir;
}

test("a model's generation_config sampling fields become its defaults (Qwen3's)", async () => {
  const dir = folderWith(JSON.stringify({ bos_token_id: 1, do_sample: true, temperature: 0.6, top_k: 20, top_p: 0.95, eos_token_id: [2, 3] }));
  try {
    assert.deepEqual(await readSamplingDefaults(dir), { temperature: 0.6, topK: 20, topP: 0.95 });
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('do_sample false means greedy; min_p and repetition_penalty are read too', async () => {
  const dir = folderWith(JSON.stringify({ do_sample: false, temperature: 0.7, min_p: 0.05, repetition_penalty: 1.1 }));
  try {
    assert.deepEqual(await readSamplingDefaults(dir), { temperature: 0, minP: 0.05, repetitionPenalty: 1.1 });
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('no file, a file without sampling fields, broken JSON or bad values give no defaults rather than failing the load', async () => {
  for (const content of [null, JSON.stringify({ bos_token_id: 0, eos_token_id: 2 }), '{ not json', JSON.stringify({ temperature: 'warm', top_p: 7 })]) {
    const dir = folderWith(content);
    try {
      assert.deepEqual(await readSamplingDefaults(dir), {}, String(content));
    } finally {
      rmSync(dir, { recursive: true });
    }
  }
});
