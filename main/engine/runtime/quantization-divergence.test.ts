// The int4 recipe against llama.cpp's Q4_K_M on the demo model, by the KL divergence of each
// position's next-token distribution from fp32's over the held-out windows (32 × 256 tokens):
// a steadier measure than mean NLL, which moves by ±0.001 between choices KLD ranks the other way
// (builder/quant-recipe.ts). Q4_K_M is the shared fixture file built as downloaded, its ggml
// blocks kept exactly (its NLL there is llama.cpp's own within 1e-4).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildModel } from '../builder/build-model.ts';
import { SafetensorsFile } from '../checkpoint/safetensors-file.ts';
import { computeLogits } from './logits.ts';
import { openModel } from './model-session.ts';
import { FIXTURES_DIR, SHAKESPEARE_DIR } from './test/reference-fixtures.ts';

const Q4_K_M = join(FIXTURES_DIR, 'gguf', 'shakespeare-5m-q4_k_m.gguf');
const skip = existsSync(SHAKESPEARE_DIR) && existsSync(Q4_K_M) ? false : `${SHAKESPEARE_DIR} or ${Q4_K_M} is absent (the shared fixtures are not checked out)`;
const WINDOW = 256;
const WINDOWS = 32;

/** Each position's log-probabilities, [windows × window, vocab], in float64 as the perplexity is taken. */
async function logProbabilities(dir: string, ids: number[]): Promise<Float64Array[]> {
  const model = await openModel(dir, { threads: 2 });
  try {
    const vocab = model.spec.vocabSize;
    const rows: Float64Array[] = [];
    for (let w = 0; w < WINDOWS; w++) {
      const logits = await computeLogits(model, ids.slice(w * WINDOW, (w + 1) * WINDOW));
      for (let p = 0; p < WINDOW; p++) {
        const row = Float64Array.from(logits.subarray(p * vocab, (p + 1) * vocab));
        const max = row.reduce((a, b) => Math.max(a, b), -Infinity);
        const logSum = Math.log(row.reduce((sum, v) => sum + Math.exp(v - max), 0)) + max;
        rows.push(row.map((v) => v - logSum));
      }
    }
    return rows;
  } finally {
    await model.release();
  }
}

/** Mean KL(reference ‖ other) over positions, in nats. */
function meanDivergence(reference: Float64Array[], other: Float64Array[]): number {
  let total = 0;
  reference.forEach((p, r) => {
    const q = other[r];
    for (let v = 0; v < p.length; v++) total += Math.exp(p[v]) * (p[v] - q[v]);
  });
  return total / reference.length;
}

describe('int4 against llama.cpp Q4_K_M on shakespeare-5m', { skip }, () => {
  let root: string;
  let ids: number[];
  let fp32: Float64Array[];

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'hearth-divergence-'));
    const file = await SafetensorsFile.open(join(SHAKESPEARE_DIR, 'eval_tokens.safetensors'));
    try {
      ids = Array.from((await file.readTyped('val_ids')).data as BigInt64Array, Number);
    } finally {
      await file.close();
    }
    await buildModel(SHAKESPEARE_DIR, join(root, 'fp32'), { precision: 'fp32' });
    fp32 = await logProbabilities(join(root, 'fp32'), ids);
  });
  after(() => rm(root, { recursive: true, force: true }));

  // For the CPU (the default) the recipe's 8-bit matrices are per-channel int8 for the integer GEMM; for the GPU
  // ('blockwise') 8-bit MatMulNBits blocks (builder/quant-recipe.ts usesDynamicInt8).
  for (const int8Kernel of ['dynamic', 'blockwise'] as const) {
    it(`int4 (${int8Kernel}): next-token distributions closer to fp32's than Q4_K_M's (KLD 10 % lower), in fewer weight bytes than its build`, async () => {
      const int4 = await buildModel(SHAKESPEARE_DIR, join(root, `int4-${int8Kernel}`), { precision: 'int4', int8Kernel });
      const q4km = await buildModel(Q4_K_M, join(root, 'q4_k_m'), { precision: 'fp32', asDownloaded: true });
      const int4Divergence = meanDivergence(fp32, await logProbabilities(join(root, `int4-${int8Kernel}`), ids));
      const q4kmDivergence = meanDivergence(fp32, await logProbabilities(join(root, 'q4_k_m'), ids));
      // Measured: dynamic 0.005459 (3,318,882 bytes), blockwise 0.005375 (3,366,968 bytes) against Q4_K_M's 0.006792 (without
      // o_proj 8-bit: 0.006729 and 0.006666; the int4 build before this recipe: 0.0118; Q4_0: 0.0113).
      assert.ok(int4Divergence <= 0.9 * q4kmDivergence, `int4 KLD ${int4Divergence.toFixed(6)} against Q4_K_M's ${q4kmDivergence.toFixed(6)}`);
      // The file itself is 3.03 MB; the as-downloaded build stores its blocks in MatMulNBits' layout (3.57 MB). At this
      // small hidden size (256) int4's 8-bit matrices and block scales weigh more than at 0.5B, where it is under the file.
      assert.ok(int4.weightBytes <= 3_400_000, `int4 weights ${int4.weightBytes} bytes`);
      assert.ok(q4km.weightBytes > int4.weightBytes, `Q4_K_M as downloaded: ${q4km.weightBytes} bytes`);
    });
  }
});
