import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import onnxProto from 'onnx-proto';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { float32ToFloat16Bits } from '../checkpoint/float16.ts';
import { GraphBuilder } from '../onnx/graph-builder.ts';
import { attr, DataType } from '../onnx/graph.ts';
import { CachedSequence, PREFILL_GRAPH_MIN_TOKENS } from './cached-sequence.ts';
import { deriveInt8PromptGraph, int4RowsToInt8Columns } from './int8-prompt-graph.ts';
import { openModel } from './model-session.ts';
import { FixtureBuilds, HF_TINY_DIR, fixturesMissing } from './test/reference-fixtures.ts';

const M = 24;
const K = 96; // 3 blocks of 32: an odd block count, so zero point rows are padded to 2 bytes
const N = 40;

function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

/** Two MatMulNBits as a build writes them: asymmetric with float16 scales (through a Cast), and symmetric with a bias. */
function buildGraph(dir: string): void {
  const g = new GraphBuilder({ dir });
  const x = g.input('x', DataType.FLOAT, [1, M, K]);
  const kBlocks = K / 32;
  const scaleValues = Float32Array.from({ length: N * kBlocks }, (_, i) => 0.01 + (i % 5) * 0.004);
  const half = g.initializer('a.scales_f16', DataType.FLOAT16, [N, kBlocks], float32ToFloat16Bits(scaleValues));
  const scales = g.op('Cast', [half], { to: attr.int(DataType.FLOAT) });
  const zeroPoints = g.initializer('a.zero_points', DataType.UINT8, [N, 2], bytes(N * 2, 7));
  const common = { K: attr.int(K), N: attr.int(N), bits: attr.int(4), block_size: attr.int(32), accuracy_level: attr.int(4) };
  const a = g.op('MatMulNBits', [x, g.initializer('a.weight_q4', DataType.UINT8, [N, kBlocks, 16], bytes(N * kBlocks * 16, 1)), scales, zeroPoints], common, { domain: 'com.microsoft', name: 'a/MatMulNBits' });
  const bias = g.initializer('b.bias', DataType.FLOAT, [N], Float32Array.from({ length: N }, (_, i) => i * 0.1));
  const bScales = g.initializer('b.scales', DataType.FLOAT, [N, kBlocks], scaleValues);
  const b = g.op('MatMulNBits', [x, g.initializer('b.weight_q4', DataType.UINT8, [N, kBlocks, 16], bytes(N * kBlocks * 16, 2)), bScales, '', '', bias], common, { domain: 'com.microsoft', name: 'b/MatMulNBits' });
  g.output('a', DataType.FLOAT, [1, M, N], a);
  g.output('b', DataType.FLOAT, [1, M, N], b);
  g.finish();
}

function relativeRms(reference: Float32Array, other: Float32Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < reference.length; i++) {
    num += (reference[i] - other[i]) ** 2;
    den += reference[i] ** 2;
  }
  return Math.sqrt(num / den);
}

test('the derived prompt graph runs DynamicQuantizeMatMul over int8 copies and matches MatMulNBits', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-int8-prompt-'));
  try {
    buildGraph(dir);
    const derived = deriveInt8PromptGraph(readFileSync(join(dir, 'model.onnx')), dir);
    assert.ok(derived, 'both MatMulNBits convert');
    assert.equal(derived.converted, 2);
    assert.equal(derived.int8WeightBytes, 2 * K * N);
    const ops = onnxProto.onnx.ModelProto.decode(derived.bytes).graph!.node!.map((n) => n.opType);
    assert.ok(!ops.includes('MatMulNBits'), `no MatMulNBits left: ${ops.join(', ')}`);
    assert.equal(ops.filter((op) => op === 'DynamicQuantizeMatMul').length, 2);

    const int4 = await InferenceSession.create(join(dir, 'model.onnx'), { logSeverityLevel: 3 });
    const int8 = await InferenceSession.create(derived.bytes, { logSeverityLevel: 3, extra: { session: { model_external_initializers_file_folder_path: dir } } });
    const x = new Tensor('float32', Float32Array.from({ length: M * K }, (_, i) => Math.sin(i * 0.37)), [1, M, K]);
    const expected = await int4.run({ x });
    const actual = await int8.run({ x });
    for (const name of ['a', 'b']) {
      const error = relativeRms(expected[name].data as Float32Array, actual[name].data as Float32Array);
      // int8 weights per column and uint8 activations per tensor: about 1 % apart, not more.
      assert.ok(error < 0.03, `${name}: relative RMS difference ${error}`);
    }
    await int4.release();
    await int8.release();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('int4RowsToInt8Columns scales each column by its largest |w| / 127 and rounds to it', () => {
  // One row of one block: values (q - 8) * 0.5 for q = 0..15, twice; the largest |w| is 4.
  const packed = Uint8Array.from({ length: 16 }, (_, i) => ((2 * i) % 16) | (((2 * i + 1) % 16) << 4));
  const { weight, scale } = int4RowsToInt8Columns(packed, Float32Array.of(0.5), null, 1, 32, 32);
  assert.equal(scale[0], Math.fround(4 / 127));
  for (let k = 0; k < 32; k++) {
    const w = ((k % 16) - 8) * 0.5;
    // Rounded to the nearest step (either side of a tie).
    assert.ok(Math.abs(weight[k] * scale[0] - w) <= scale[0] / 2 + 1e-6, `k=${k}: ${weight[k]} * ${scale[0]} for ${w}`);
  }
  assert.equal(weight[0], -127, 'the largest |w| maps to 127');
});

test('openModel with int8PromptGraph runs prompts on the derived graph and decode steps on the int4 one', { skip: fixturesMissing(HF_TINY_DIR) }, async () => {
  const builds = new FixtureBuilds();
  try {
    const dir = await builds.build(join(HF_TINY_DIR, 'qwen2'), 'qwen2', 'int4');
    const plain = await openModel(dir, { threads: 1 });
    const derived = await openModel(dir, { threads: 1, int8PromptGraph: true });
    assert.equal(plain.prefillSession, null, 'off by default');
    assert.ok(derived.prefillSession, 'the int8 prompt graph was derived');
    const prompt = Array.from({ length: PREFILL_GRAPH_MIN_TOKENS + 8 }, (_, i) => (i * 37 + 5) % 500);
    const a = new CachedSequence(plain);
    const b = new CachedSequence(derived);
    const promptError = relativeRms(await a.feed(prompt, 'all'), await b.feed(prompt, 'all'));
    assert.ok(promptError > 0 && promptError < 0.05, `prompt logits: relative RMS difference ${promptError} (0 would mean the int4 graph ran)`);
    // A decode step goes to the int4 graph; the caches the two graphs left agree closely enough
    // that the next step's logits stay near.
    const stepError = relativeRms(await a.feed([7], 'last'), await b.feed([7], 'last'));
    assert.ok(stepError < 0.05, `decode step: relative RMS difference ${stepError}`);
    await plain.release();
    await derived.release();
  } finally {
    await builds.cleanup();
  }
});
