import { test } from 'node:test';
// Tests run under Node; the pure-layer rule is for the code under test.
import assert from 'node:assert/strict';
import type { ModelSpec } from './model-spec.ts';
import { countParameters, fitsIn, kvCacheBytes, parameterBreakdown, planMemory, quantizedLinearBytes, weightBytes, workspaceBytes, DEFAULT_WORKSPACE } from './memory-plan.ts';

/** Qwen2.5-0.5B's shape, from its config.json. */
function qwen25HalfB(): ModelSpec {
  return {
    architecture: 'qwen2',
    vocabSize: 151936,
    hiddenSize: 896,
    numLayers: 24,
    contextLength: 32768,
    norm: { kind: 'rms', eps: 1e-6, weightOffset: 0, bias: false },
    positions: { kind: 'rope', theta: 1_000_000, rotaryDim: 64, scaling: null, frequencyPrecision: 'float32' },
    attention: { numHeads: 14, numKvHeads: 2, headDim: 64, qkvBias: true, outBias: false, qkNorm: false, slidingWindow: null, scale: 1 / 8 },
    mlp: { kind: 'gated', activation: 'silu', intermediateSize: 4864, bias: false },
    residual: 'sequential',
    embeddingScale: null,
    embeddingNorm: false,
    tiedEmbeddings: true,
    bosTokenId: null,
    eosTokenIds: [151643],
    padTokenId: null,
  };
}

test("Qwen2.5-0.5B has Hugging Face's parameter count", () => {
  const spec = qwen25HalfB();
  assert.equal(countParameters(spec), 494_032_768);
  const parts = parameterBreakdown(spec);
  assert.equal(parts.embedding, 151936 * 896);
  assert.equal(parts.biases, 24 * (896 + 2 * 128));
  assert.equal(parts.norms, 24 * 2 * 896 + 896);
  // Untying adds the lm_head once more.
  assert.equal(countParameters({ ...spec, tiedEmbeddings: false }), 494_032_768 + 151936 * 896);
});

test('the KV cache is 2 × layers × kv_heads × head_dim × tokens × bytes', () => {
  const spec = qwen25HalfB();
  assert.equal(kvCacheBytes(spec, 4096, 4), 2 * 24 * 2 * 64 * 4096 * 4);
  assert.equal(kvCacheBytes(spec, 4096, 4), 100_663_296);
  assert.equal(kvCacheBytes(spec, 1000, 2, 3), 2 * 24 * 2 * 64 * 1000 * 2 * 3);
  assert.equal(planMemory(spec, 'fp32', 4096).kvCacheBytes, 100_663_296);
  assert.equal(planMemory(spec, 'fp16', 4096).kvCacheBytes, 50_331_648);
  assert.equal(planMemory(spec, 'int4', 4096).kvCacheBytes, 100_663_296, 'int4 keeps a float32 KV cache on CPU');
  assert.equal(planMemory(spec, 'int4', 4096, { kvBytesPerElement: 2, batch: 2 }).kvCacheBytes, 100_663_296);
});

test('float weights are parameters × bytes, the tied head shared', () => {
  const spec = qwen25HalfB();
  assert.equal(weightBytes(spec, 'fp32'), 494_032_768 * 4);
  assert.equal(weightBytes(spec, 'fp16'), 494_032_768 * 2);
});

test('quantized weights count MatMulNBits blocks of 32 with float32 scales', () => {
  assert.equal(quantizedLinearBytes(896, 896, 'int4'), 896 * 28 * (16 + 4));
  assert.equal(quantizedLinearBytes(896, 896, 'int8'), 896 * 28 * (32 + 4));
  // A K that is not a multiple of 32 pads its last block.
  assert.equal(quantizedLinearBytes(10, 33, 'int4'), 10 * 2 * 20);

  const spec = qwen25HalfB();
  const embeddingF32 = 151936 * 896 * 4;
  const smallF32 = (24 * (896 + 256) + 24 * 2 * 896 + 896) * 4;
  // Per layer, in blocks of 32 along K: q, k, v, o, gate, up (K = 896 → 28 blocks), down (K = 4864 → 152).
  const blockRowsPerLayer = (896 + 128 + 128 + 896) * 28 + 2 * 4864 * 28 + 896 * 152;
  const lmHeadBlockRows = 151936 * 28; // the tied head, quantized as its own copy
  const blockRows = 24 * blockRowsPerLayer + lmHeadBlockRows;
  assert.equal(weightBytes(spec, 'int4'), embeddingF32 + smallF32 + blockRows * 20);
  assert.equal(weightBytes(spec, 'int8'), embeddingF32 + smallF32 + blockRows * 36);
  assert.equal(weightBytes(spec, 'int4'), 853_550_592);
});

test('the workspace follows its formula and can be calibrated', () => {
  const spec = qwen25HalfB();
  const model = { ...DEFAULT_WORKSPACE, activationBytes: 4 };
  const chunk = 512;
  const expected =
    model.fixedBytes +
    4 * chunk * (4 * 896 + 2 * (14 + 4) * 64 + 3 * 4864) +
    4 * 151936 +
    4 * 14 * chunk * 2048;
  assert.equal(workspaceBytes(spec, 2048, model), expected);
  // A context shorter than the chunk prefills in one step of that length.
  assert.ok(workspaceBytes(spec, 100, model) < workspaceBytes(spec, 2048, model));
  const plan = planMemory(spec, 'fp32', 2048, { workspace: { fixedBytes: 0, attentionScoresFactor: 0 } });
  assert.equal(plan.workspaceBytes, expected - model.fixedBytes - 4 * 14 * chunk * 2048);
  assert.equal(plan.totalBytes, plan.weightBytes + plan.kvCacheBytes + plan.workspaceBytes);
});

test('fitsIn leaves the headroom free', () => {
  const plan = { weightBytes: 0, kvCacheBytes: 0, workspaceBytes: 0, totalBytes: 900 };
  assert.equal(fitsIn(plan, 1000), true);
  assert.equal(fitsIn(plan, 999), false);
  assert.equal(fitsIn(plan, 950, 0), true);
  assert.throws(() => planMemory(qwen25HalfB(), 'fp32', 0), RangeError);
});
