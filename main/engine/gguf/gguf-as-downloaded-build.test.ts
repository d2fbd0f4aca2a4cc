// Every family Hearth reads from GGUF builds as downloaded: each test folder converted to a GGUF
// file with Q8_0 weights (as llama.cpp's converter and ggml's reference quantizer write them) is
// built twice, keeping the blocks (MatMulNBits, GatherBlockQuantized, a tied head reading the
// table) and decoded to float32, and the two give the same logits up to the int8 rounding of
// activations that accuracy level 4 adds (as llama.cpp's own Q8_0 kernels round them; see TOLERANCE). This
// proves the row orders (llama's rotary rows, BLOOM/NeoX q/k/v, phi3's fused tensors) reach the
// kept blocks as they reach the floats. Folders under ../shared skip where it is absent.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildModel } from '../builder/build-model.ts';
import { computeLogits } from '../runtime/logits.ts';
import { openModel } from '../runtime/model-session.ts';
import { convertHfFolderToGguf, type ConvertedArchitecture } from './test/hf-to-gguf.ts';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const SHARED = join(REPO, '..', 'shared', 'fixtures');
const TESTDATA = join(REPO, 'main', 'engine', 'architectures', 'testdata');
/**
 * Largest logit difference allowed, relative to the largest logit. Measured at accuracy level 4:
 * 1.3–2.9 % on these random-weight models (small logits); a row put in the wrong place costs
 * about 100 %. With accuracy level 1 (float activations) the two builds differ by at most 6.2e-6
 * (llama) and by nothing for the other families: the kept blocks are the decoded weights.
 */
const TOLERANCE = 0.05;

async function logitsOf(dir: string, ids: number[]): Promise<Float32Array> {
  const model = await openModel(dir, { threads: 1 });
  try {
    return await computeLogits(model, ids);
  } finally {
    await model.release();
  }
}

describe('a Q8_0 GGUF file of every family builds as downloaded and gives the logits of its decoded weights', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hearth-gguf-as-downloaded-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const cases: [string, string, ConvertedArchitecture][] = [
    ['the demo model (llama)', join(REPO, 'resources', 'models', 'shakespeare-5m'), 'llama'],
    ['hf-tiny qwen2 (tied)', join(SHARED, 'hf-tiny', 'qwen2'), 'qwen2'],
    ['qwen3', join(TESTDATA, 'qwen3'), 'qwen3'],
    ['gemma', join(TESTDATA, 'gemma'), 'gemma'],
    ['phi3 (fused qkv and gate_up)', join(TESTDATA, 'phi3'), 'phi3'],
    ['hf-tiny gpt2', join(SHARED, 'hf-tiny', 'gpt2'), 'gpt2'],
    ['gpt_neox', join(TESTDATA, 'gpt_neox'), 'gptneox'],
    ['bloom', join(TESTDATA, 'bloom'), 'bloom'],
    ['hf-tiny mpt', join(SHARED, 'hf-tiny', 'mpt'), 'mpt'],
  ];
  for (const [name, folder, arch] of cases) {
    it(name, { skip: existsSync(folder) ? false : `${folder} is absent` }, async (t) => {
      const path = join(dir, `${arch}.gguf`);
      await convertHfFolderToGguf(folder, path, arch, { q8_0: true });
      const kept = join(dir, `${arch}-kept`);
      const decoded = join(dir, `${arch}-fp32`);
      const keptManifest = await buildModel(path, kept, { precision: 'fp32', asDownloaded: true });
      const decodedManifest = await buildModel(path, decoded, { precision: 'fp32' });
      assert.equal(keptManifest.sourceFormat?.asDownloaded, true);
      assert.equal(decodedManifest.sourceFormat?.asDownloaded, false);
      const q8Tensors = keptManifest.sourceFormat?.tensorTypes.Q8_0 ?? 0;
      if (q8Tensors > 0) {
        assert.ok((await readFile(join(kept, keptManifest.graphFile))).includes('MatMulNBits'), 'the Q8_0 blocks are kept as MatMulNBits');
        assert.ok(keptManifest.weightBytes < decodedManifest.weightBytes, `${keptManifest.weightBytes} bytes kept, ${decodedManifest.weightBytes} decoded`);
      }

      const ids = [1, 2, 3, 4, 5, 6, 7].map((id) => id % keptManifest.spec.vocabSize);
      const a = await logitsOf(kept, ids);
      const b = await logitsOf(decoded, ids);
      let largest = 0;
      let worst = 0;
      for (let i = 0; i < b.length; i++) {
        largest = Math.max(largest, Math.abs(b[i]));
        worst = Math.max(worst, Math.abs(a[i] - b[i]));
      }
      t.diagnostic(`${arch}: ${q8Tensors} Q8_0 tensors; logits differ by at most ${worst.toExponential(2)} of ${largest.toFixed(3)}`);
      assert.ok(worst <= TOLERANCE * largest, `${arch}: logits differ by ${worst}, more than ${TOLERANCE} x ${largest}`);
    });
  }
});

describe('an F16 GGUF file builds as downloaded', () => {
  const folder = join(REPO, 'resources', 'models', 'shakespeare-5m');
  it('keeps its float16 weights as float16 on disk (cast when the session loads) and gives exactly the logits of the float32 build', { skip: existsSync(folder) ? false : `${folder} is absent` }, async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'hearth-gguf-f16-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, 'model.gguf');
    await convertHfFolderToGguf(folder, path, 'llama', { f16: true });
    const kept = await buildModel(path, join(dir, 'kept'), { precision: 'fp32', asDownloaded: true });
    const decoded = await buildModel(path, join(dir, 'fp32'), { precision: 'fp32' });
    assert.equal(kept.sourceFormat?.fileType, 'F16');
    assert.equal(kept.precision, 'fp32');
    t.diagnostic(`${kept.weightBytes} bytes kept, ${decoded.weightBytes} as float32`);
    assert.ok(kept.weightBytes < 0.55 * decoded.weightBytes, `${kept.weightBytes} bytes is not about half of ${decoded.weightBytes}`);
    const ids = [5, 17, 42, 99, 3];
    assert.deepEqual(await logitsOf(join(dir, 'kept'), ids), await logitsOf(join(dir, 'fp32'), ids));
  });
});
