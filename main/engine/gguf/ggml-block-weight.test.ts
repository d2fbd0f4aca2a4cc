import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import type { ModelSpec } from '../../common/model-spec.ts';
import { BuildContext } from '../builder/build-context.ts';
import { emitEmbeddings } from '../builder/build-model.ts';
import { emitLinear } from '../builder/linear.ts';
import { INPUT_IDS } from '../graph-io.ts';
import { DataType } from '../onnx/graph.ts';
import { GraphBuilder } from '../onnx/graph-builder.ts';
import { attachGgmlBlocks, ggmlBlocksOf, reorderGgmlRows } from './ggml-block-weight.ts';
import { dequantizeGgml } from './ggml-dequantize.ts';

/** A Q4_K tensor of `rows` × 256: random levels and scales, d = 2^-6 (0x2400), dmin = 2^-7 (0x2000). */
function q4kRows(rows: number, seed: number): Uint8Array {
  let s = seed;
  const next = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) & 0xff;
  const bytes = new Uint8Array(rows * 144);
  for (let r = 0; r < rows; r++) {
    const o = r * 144;
    bytes.set([0x00, 0x24, 0x00, 0x20], o);
    for (let i = 4; i < 144; i++) bytes[o + i] = next();
  }
  return bytes;
}

test('blocks ride with the tensor object they were attached to, and not with a copy', () => {
  const bytes = q4kRows(2, 1);
  const tensor = attachGgmlBlocks({ data: dequantizeGgml(12, bytes, 512), shape: [2, 256] }, 12, bytes);
  assert.equal(ggmlBlocksOf(tensor)?.bytes, bytes);
  assert.equal(ggmlBlocksOf({ ...tensor }), null);
  // Float types have no blocks to keep.
  const f32 = { data: new Float32Array(4), shape: [1, 4] };
  assert.equal(ggmlBlocksOf(attachGgmlBlocks(f32, 0, new Uint8Array(16))), null);
  assert.throws(() => attachGgmlBlocks({ data: new Float32Array(256), shape: [1, 256] }, 12, new Uint8Array(100)), /take 144 bytes, not 100/);
});

test('reorderGgmlRows moves whole rows of blocks', () => {
  const bytes = q4kRows(3, 2);
  const reordered = reorderGgmlRows(12, bytes, 256, [2, 0]);
  const rows = dequantizeGgml(12, bytes, 768);
  assert.deepEqual(Array.from(dequantizeGgml(12, reordered, 512)), [...rows.subarray(512, 768), ...rows.subarray(0, 256)]);
  assert.throws(() => reorderGgmlRows(12, bytes, 256, [3]), /Row 3 is outside a tensor of 3 rows/);
});

async function buildLinear(dir: string, keepGgmlBlocks: boolean, tensor: { data: Float32Array; shape: number[] }) {
  const g = new GraphBuilder({ dir });
  const ctx = new BuildContext(g, {} as ModelSpec, 'int4', 'fused', 'blockwise', async () => null);
  ctx.keepGgmlBlocks = keepGgmlBlocks;
  const [N, K] = tensor.shape;
  g.output('y', DataType.FLOAT, ['m', N], emitLinear(ctx, g.input('x', DataType.FLOAT, ['m', K]), '/model/layers.0/mlp/up_proj', { weight: tensor, bias: null }));
  const { graphPath } = g.finish();
  return { graphPath, graphText: readFileSync(graphPath).toString('latin1') };
}

test('emitLinear keeps a weight\'s ggml blocks when the build asks, and quantizes the floats otherwise', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-ggml-linear-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const N = 8;
  const K = 256;
  const bytes = q4kRows(N, 3);
  const w = dequantizeGgml(12, bytes, N * K);
  const weight = attachGgmlBlocks({ data: w, shape: [N, K] }, 12, bytes);

  const kept = await buildLinear(join(dir, 'kept'), true, weight);
  assert.ok(kept.graphText.includes('up_proj.block_offsets'), 'the Q4_K offsets are kept beside the blocks');
  const requantized = await buildLinear(join(dir, 'requantized'), false, weight);
  assert.ok(!requantized.graphText.includes('block_offsets'), 'without keepGgmlBlocks the int4 build quantizes the floats');

  // The kept graph computes x·Wᵀ of the file's weights (accuracy_level 4: within int8 activation rounding).
  const x = Float32Array.from({ length: 2 * K }, (_, i) => Math.sin(i * 0.7));
  const session = await InferenceSession.create(kept.graphPath);
  const y = (await session.run({ x: new Tensor('float32', x, [2, K]) })).y.data as Float32Array;
  await session.release();
  let worst = 0;
  let largest = 0;
  for (let m = 0; m < 2; m++) {
    for (let n = 0; n < N; n++) {
      let exact = 0;
      for (let k = 0; k < K; k++) exact += x[m * K + k] * w[n * K + k];
      largest = Math.max(largest, Math.abs(exact));
      worst = Math.max(worst, Math.abs(y[m * N + n] - exact));
    }
  }
  assert.ok(worst / largest < 2e-2, `relative error ${worst / largest}`);
});

test('emitEmbeddings keeps a ggml token table in its blocks: every looked-up row is the file\'s, bit for bit', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-ggml-embed-build-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const vocab = 6;
  const hidden = 256;
  const bytes = q4kRows(vocab, 4);
  const table = dequantizeGgml(12, bytes, vocab * hidden);
  const embed = attachGgmlBlocks({ data: table, shape: [vocab, hidden] }, 12, bytes);
  const g = new GraphBuilder({ dir });
  const spec = { embeddingScale: null, positions: { kind: 'rotary' }, embeddingNorm: null } as unknown as ModelSpec;
  const ctx = new BuildContext(g, spec, 'int4', 'fused', 'blockwise', async (name) => (name === 'embed' ? embed : null));
  ctx.keepGgmlBlocks = true;
  g.input(INPUT_IDS, DataType.INT64, ['batch_size', 'sequence_length']);
  g.output('hidden', DataType.FLOAT, ['batch_size', 'sequence_length', hidden], await emitEmbeddings(ctx));
  const { graphPath } = g.finish();
  assert.ok(readFileSync(graphPath).toString('latin1').includes('GatherBlockQuantized'));
  const ids = [5, 0, 3, 3];
  const session = await InferenceSession.create(graphPath);
  const rows = (await session.run({ [INPUT_IDS]: new Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, ids.length]) })).hidden.data as Float32Array;
  await session.release();
  const expected = ids.flatMap((id) => Array.from(table.subarray(id * hidden, (id + 1) * hidden)));
  assert.deepEqual(Array.from(rows), expected);
});
