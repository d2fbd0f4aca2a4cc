// The as-downloaded plan, from a GGUF file's tensor table alone, against real builds: the planned
// weight bytes are hearth.json's weightBytes exactly, for llama.cpp's own files of the demo model
// (../shared/fixtures/gguf: Q4_0, Q4_K_M, Q6_K, Q8_0, F32), and for Q8_0 and F16 files of the
// other families written by the test converter (fused q/k/v and gate/up, GPT-2's transposed
// Conv1D weights, tied heads). Folders that are absent are skipped with a message.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildModel } from '../builder/build-model.ts';
import { planMemory, weightBytes } from '../memory-plan/memory-plan.ts';
import { planGgufAsDownloaded } from './gguf-as-downloaded-plan.ts';
import { readGgufHeader } from './gguf-file.ts';
import { convertHfFolderToGguf, type ConvertedArchitecture, type ConvertOptions } from './test/hf-to-gguf.ts';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const SHARED = join(REPO, '..', 'shared', 'fixtures');
const GGUF = join(SHARED, 'gguf');
const TESTDATA = join(REPO, 'main', 'engine', 'architectures', 'testdata');
const DEMO = join(REPO, 'resources', 'models', 'shakespeare-5m');

describe('the as-downloaded plan of a GGUF file is the weight bytes its build stores', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hearth-gguf-plan-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  async function planAndBuild(path: string, name: string): Promise<{ planned: number; built: number; resident: number }> {
    const plan = await planGgufAsDownloaded(path, 256);
    const manifest = await buildModel(path, join(dir, name), { precision: 'fp32', asDownloaded: true });
    assert.equal(manifest.sourceFormat?.asDownloaded, true);
    return { planned: plan.weightBytes, built: manifest.weightBytes, resident: plan.residentWeightBytes };
  }

  for (const type of ['q4_0', 'q4_k_m', 'q6_k', 'q8_0', 'f32']) {
    const path = join(GGUF, `shakespeare-5m-${type}.gguf`);
    it(`llama.cpp's ${type} file`, { skip: existsSync(path) ? false : `${path} is absent` }, async (t) => {
      const { planned, built, resident } = await planAndBuild(path, type);
      const tensorBytes = [...readGgufHeader(path).tensors.values()].reduce((sum, info) => sum + info.byteLength, 0);
      t.diagnostic(`${type}: planned ${planned} B, built ${built} B, file tensors ${tensorBytes} B, resident at 256 tokens ${Math.round(resident)} B`);
      assert.equal(planned, built);
      if (type !== 'f32') {
        // The file's tensor bytes, which the dropdown used before, are below what a build stores.
        assert.ok(built > tensorBytes, `${built} B built against ${tensorBytes} B of tensors`);
        // Kept blocks are resident in MLAS's layout, not at the stored size: more, but below float32.
        const spec = (await planGgufAsDownloaded(path, 256)).spec;
        assert.ok(resident > planned && resident < planMemory(spec, 'fp32', 256).residentWeightBytes, `resident ${resident} B`);
      }
    });
  }

  const converted: [string, string, ConvertedArchitecture, ConvertOptions][] = [
    ['an F16 llama', DEMO, 'llama', { f16: true }],
    ['a Q8_0 qwen2 (tied)', join(SHARED, 'hf-tiny', 'qwen2'), 'qwen2', { q8_0: true }],
    ['a Q8_0 gemma', join(TESTDATA, 'gemma'), 'gemma', { q8_0: true }],
    ['a Q8_0 phi3 (fused qkv and gate_up: decoded to float32)', join(TESTDATA, 'phi3'), 'phi3', { q8_0: true }],
    ['a Q8_0 gpt2 (transposed Conv1D weights: decoded to float32)', join(SHARED, 'hf-tiny', 'gpt2'), 'gpt2', { q8_0: true }],
    ['a Q8_0 bloom (fused qkv)', join(TESTDATA, 'bloom'), 'bloom', { q8_0: true }],
    ['a Q8_0 mpt', join(SHARED, 'hf-tiny', 'mpt'), 'mpt', { q8_0: true }],
  ];
  for (const [name, folder, arch, options] of converted) {
    it(name, { skip: existsSync(folder) ? false : `${folder} is absent` }, async () => {
      const path = join(dir, `${arch}-${options.f16 ? 'f16' : 'q8_0'}.gguf`);
      await convertHfFolderToGguf(folder, path, arch, options);
      const { planned, built } = await planAndBuild(path, `${arch}-${options.f16 ? 'f16' : 'q8_0'}`);
      assert.equal(planned, built);
      const spec = (await planGgufAsDownloaded(path, 256)).spec;
      assert.ok(planned < weightBytes(spec, 'fp32'), 'something was kept below float32');
    });
  }
});
