import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { attr, DataType } from './graph.ts';
import { EXTERNAL_ALIGNMENT_BYTES, GraphBuildError, GraphBuilder } from './graph-builder.ts';

const { onnx } = onnxProto;
/** Errors only: the tests add unused initializers on purpose, which onnxruntime warns about. */
const QUIET = { logSeverityLevel: 3 } as const;

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'hearth-graph-'));
}

/** Deterministic values in [-1, 1). */
function pseudoRandom(count: number, seed: number): Float32Array {
  const out = new Float32Array(count);
  let s = seed >>> 0;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** Half-precision bits of values that fp16 represents exactly (the test picks such values). */
function exactFloat16Bits(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === 0) continue;
    const sign = v < 0 ? 0x8000 : 0;
    const exponent = Math.floor(Math.log2(Math.abs(v)));
    const mantissa = Math.abs(v) / 2 ** exponent - 1;
    assert.ok(exponent >= -14 && exponent <= 15 && Number.isInteger(mantissa * 1024), `${v} is not a normal fp16 value`);
    out[i] = sign | ((exponent + 15) << 10) | (mantissa * 1024);
  }
  return out;
}

function decodeModel(path: string): onnxProto.onnx.ModelProto {
  return onnx.ModelProto.decode(readFileSync(path));
}

/** A decoded graph; protobufjs fills every repeated field, which its types leave optional. */
function decodeGraph(path: string): { graph: onnxProto.onnx.GraphProto; initializers: onnxProto.onnx.TensorProto[] } {
  const graph = decodeModel(path).graph as onnxProto.onnx.GraphProto;
  return { graph, initializers: graph.initializer as onnxProto.onnx.TensorProto[] };
}

function externalEntries(tensor: onnxProto.onnx.ITensorProto): Record<string, string> {
  return Object.fromEntries((tensor.externalData ?? []).map((e) => [e.key, e.value]));
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tolerance, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

test('MatMul with an external weight and Add with an inline bias run in onnxruntime', async (t) => {
  const dir = tempDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const g = new GraphBuilder({ dir, graphName: 'linear' });
  const K = 64;
  const N = 64;
  const x = g.input('x', DataType.FLOAT, ['batch', K]);
  // An odd-sized external tensor first, so that the weight after it needs alignment padding.
  const odd = pseudoRandom(257, 3);
  g.initializer('unused_odd', DataType.FLOAT, [257], odd);
  const weight = pseudoRandom(K * N, 1); // [K, N] as MatMul wants it
  const bias = pseudoRandom(N, 2);
  const w = g.initializer('w', DataType.FLOAT, [K, N], weight);
  const b = g.initializer('b', DataType.FLOAT, [N], bias);
  const y = g.op('Add', [g.op('MatMul', [x, w]), b]);
  g.output('y', DataType.FLOAT, ['batch', N], y);
  const { graphPath, dataPath, weightBytes } = g.finish();

  assert.equal(graphPath, join(dir, 'model.onnx'));
  assert.equal(dataPath, join(dir, 'model.onnx.data'));
  assert.equal(weightBytes, (257 + K * N + N) * 4);

  const model = decodeModel(graphPath);
  assert.equal(Number(model.irVersion), 10);
  assert.deepEqual(model.opsetImport.map((o) => [o.domain, Number(o.version)]), [['', 21], ['com.microsoft', 1]]);
  assert.equal(model.producerName, 'hearth');
  assert.equal(model.graph!.name, 'linear');
  const { graph, initializers } = decodeGraph(graphPath);
  const xDims = graph.input[0].type!.tensorType!.shape!.dim!;
  assert.equal(xDims[0].dimParam, 'batch');
  assert.equal(Number(xDims[1].dimValue), K);

  const byName = new Map(initializers.map((i) => [i.name, i]));
  const oddEntry = externalEntries(byName.get('unused_odd')!);
  const wTensor = byName.get('w')!;
  const wEntry = externalEntries(wTensor);
  assert.equal(wTensor.dataLocation, onnx.TensorProto.DataLocation.EXTERNAL);
  assert.equal(wTensor.rawData.length, 0, 'a 16 KiB initializer must not be inline');
  assert.equal(wEntry.location, 'model.onnx.data');
  assert.equal(oddEntry.offset, '0');
  assert.equal(Number(wEntry.offset), 1088, 'the weight starts at the first 64-byte boundary after 1028 bytes');
  assert.equal(Number(wEntry.offset) % EXTERNAL_ALIGNMENT_BYTES, 0);
  assert.equal(Number(wEntry.length), K * N * 4);
  const data = readFileSync(dataPath);
  assert.equal(statSync(dataPath).size, 1088 + K * N * 4);
  assert.deepEqual(new Float32Array(data.buffer.slice(data.byteOffset + 1088, data.byteOffset + 1088 + K * N * 4)), weight);

  const bTensor = byName.get('b')!;
  assert.notEqual(bTensor.dataLocation, onnx.TensorProto.DataLocation.EXTERNAL);
  assert.equal(bTensor.rawData.length, N * 4, 'a 256-byte initializer is stored inline');

  const session = await InferenceSession.create(graphPath, QUIET);
  const input = pseudoRandom(2 * K, 4);
  const out = await session.run({ x: new Tensor('float32', input, [2, K]) });
  const expected = new Float32Array(2 * N);
  for (let r = 0; r < 2; r++) {
    for (let n = 0; n < N; n++) {
      let sum = bias[n];
      for (let k = 0; k < K; k++) sum += input[r * K + k] * weight[k * N + n];
      expected[r * N + n] = sum;
    }
  }
  assertClose(out.y.data as Float32Array, expected, 1e-4, 'y');
});

test('a com.microsoft contrib op with skipped optional outputs runs', async (t) => {
  const dir = tempDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const g = new GraphBuilder({ dir });
  const H = 8;
  const x = g.input('x', DataType.FLOAT, [1, 2, H]);
  const skip = g.input('skip', DataType.FLOAT, [1, 2, H]);
  const gamma = pseudoRandom(H, 7);
  const eps = 1e-5;
  const [normed, , , sum] = g.node(
    'SkipSimplifiedLayerNormalization',
    [x, skip, g.initializer('gamma', DataType.FLOAT, [H], gamma)],
    { epsilon: attr.float(eps) },
    { domain: 'com.microsoft', outputs: ['normed', '', '', 'sum'], name: '/layers.0/SkipLayerNorm' },
  );
  g.output('normed', DataType.FLOAT, [1, 2, H]);
  g.output('sum', DataType.FLOAT, [1, 2, H]);
  const session = await InferenceSession.create(g.finish().graphPath, QUIET);

  const xv = pseudoRandom(2 * H, 8);
  const sv = pseudoRandom(2 * H, 9);
  const out = await session.run({ x: new Tensor('float32', xv, [1, 2, H]), skip: new Tensor('float32', sv, [1, 2, H]) });
  const expectedSum = xv.map((v, i) => v + sv[i]);
  const expectedNorm = new Float32Array(2 * H);
  for (let r = 0; r < 2; r++) {
    let meanSquare = 0;
    for (let h = 0; h < H; h++) meanSquare += expectedSum[r * H + h] ** 2 / H;
    for (let h = 0; h < H; h++) expectedNorm[r * H + h] = (expectedSum[r * H + h] / Math.sqrt(meanSquare + eps)) * gamma[h];
  }
  assert.equal(normed, 'normed');
  assert.equal(sum, 'sum');
  assertClose(out.sum.data as Float32Array, expectedSum, 1e-6, 'sum');
  assertClose(out.normed.data as Float32Array, expectedNorm, 1e-5, 'normed');
});

test('int64 and float constants are deduplicated by value and shape', async (t) => {
  const dir = tempDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const g = new GraphBuilder({ dir });
  const shape = g.int64s([2, 3]);
  assert.equal(g.int64s([2, 3]), shape, 'same values, same constant');
  assert.notEqual(g.int64s([2, 3], [2, 1]), shape, 'same values in another shape are another constant');
  assert.notEqual(g.int64s([3, 2]), shape);
  const half = g.floats([0.5], []);
  assert.equal(g.floats([0.5], []), half);
  assert.notEqual(g.floats([-0.5], []), half);

  const x = g.input('x', DataType.FLOAT, [6]);
  const reshaped = g.op('Reshape', [x, shape]);
  const scaled = g.op('Mul', [reshaped, half]);
  // Gather with an int64 scalar index drops the axis: row 1 of the [2, 3] matrix.
  const row = g.op('Gather', [scaled, g.int64s([1], [])], { axis: attr.int(0) });
  g.output('row', DataType.FLOAT, [3], row);
  g.output('matrix', DataType.FLOAT, [2, 3], scaled);
  const session = await InferenceSession.create(g.finish().graphPath, QUIET);
  const out = await session.run({ x: new Tensor('float32', Float32Array.from([1, 2, 3, 4, 5, 6]), [6]) });
  assert.deepEqual(out.matrix.dims, [2, 3]);
  assert.deepEqual(Array.from(out.matrix.data as Float32Array), [0.5, 1, 1.5, 2, 2.5, 3]);
  assert.deepEqual(out.row.dims, [3]);
  assert.deepEqual(Array.from(out.row.data as Float32Array), [2, 2.5, 3]);
});

test('an external FLOAT16 initializer cast to float reads back exactly', async (t) => {
  const dir = tempDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const g = new GraphBuilder({ dir, graphFile: 'half.onnx', dataFile: 'half.onnx.data' });
  // 600 halves = 1200 bytes: over the inline limit. Multiples of 1/256 in [-1, 1) are exact in fp16.
  const values = pseudoRandom(600, 11).map((v) => Math.round(v * 256) / 256);
  const w = g.initializer('w16', DataType.FLOAT16, [600], exactFloat16Bits(values));
  g.output('w32', DataType.FLOAT, [600], g.op('Cast', [w], { to: attr.int(DataType.FLOAT) }));
  const { graphPath, dataPath } = g.finish();
  assert.equal(graphPath, join(dir, 'half.onnx'));
  const tensor = decodeGraph(graphPath).initializers[0];
  assert.equal(tensor.dataType, DataType.FLOAT16);
  assert.equal(externalEntries(tensor).location, 'half.onnx.data');
  assert.equal(statSync(dataPath).size, 1200);

  const session = await InferenceSession.create(graphPath, QUIET);
  const out = await session.run({});
  assert.deepEqual(out.w32.data, values);
});

test('the inline limit is 1 KiB: 1024 bytes go external, 1020 stay inline', (t) => {
  const dir = tempDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const g = new GraphBuilder({ dir });
  g.initializer('at_limit', DataType.UINT8, [1024], new Uint8Array(1024).fill(7));
  g.initializer('below_limit', DataType.UINT8, [1020], new Uint8Array(1020).fill(9));
  const { graphPath, dataPath, weightBytes } = g.finish();
  const [atLimit, belowLimit] = decodeGraph(graphPath).initializers;
  assert.equal(atLimit.dataLocation, onnx.TensorProto.DataLocation.EXTERNAL);
  assert.equal(atLimit.rawData.length, 0);
  assert.equal(belowLimit.rawData.length, 1020);
  assert.ok(belowLimit.rawData.every((b) => b === 9));
  assert.ok(readFileSync(dataPath).equals(Buffer.alloc(1024, 7)));
  assert.equal(weightBytes, 2044);
});

test('node names and automatic output names are unique', (t) => {
  const dir = tempDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const g = new GraphBuilder({ dir });
  const x = g.input('x', DataType.FLOAT, [2]);
  assert.equal(g.op('Relu', [x]), '/Relu/output_0');
  assert.equal(g.op('Relu', [x]), '/Relu_1/output_0');
  assert.deepEqual(g.node('Split', [x], {}, { outputs: 2, name: '/model/split' }), ['/model/split/output_0', '/model/split/output_1']);
  assert.deepEqual(g.node('Split', [x], {}, { outputs: 2, name: '/model/split' }), ['/model/split_1/output_0', '/model/split_1/output_1']);
  const nodes = (() => {
    g.output('y', DataType.FLOAT, [2], '/Relu/output_0');
    return decodeGraph(g.finish().graphPath).graph.node;
  })();
  assert.deepEqual(nodes.map((n) => n.name), ['Relu', 'Relu_1', '/model/split', '/model/split_1', '/output/y']);
  assert.equal(nodes[4].opType, 'Identity', 'output() renames through an Identity');
});

test('mistakes are reported with the names involved', (t) => {
  const dir = tempDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const g = new GraphBuilder({ dir });
  const x = g.input('x', DataType.FLOAT, [2]);
  assert.throws(() => g.op('Relu', ['missing']), (e: unknown) => e instanceof GraphBuildError && /missing/.test(e.message));
  assert.throws(() => g.input('x', DataType.FLOAT, [2]), GraphBuildError);
  assert.throws(() => g.initializer('w', DataType.FLOAT, [3], new Float32Array(2)), /3 values but the data has 2/);
  assert.throws(() => g.initializer('w', DataType.FLOAT16, [2], new Float32Array(2)), /needs a Uint16Array/);
  g.output('x', DataType.FLOAT, [2]);
  g.finish();
  assert.throws(() => g.op('Relu', [x]), /already finished/);
});
