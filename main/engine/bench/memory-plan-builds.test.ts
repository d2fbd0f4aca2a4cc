// The memory planner's weightBytes against real builds: every precision, int8 kernel, the int4
// prefill graph and both attention modes, on the bundled shakespeare-5m, the shared hf-tiny
// fixtures (skipped when absent) and synthetic shapes that reach the builder's rarer paths.
// Equal to the byte, so a builder change that stores something new fails here until
// main/engine/memory-plan/memory-plan.ts follows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { weightBytes } from '../memory-plan/memory-plan.ts';
import type { AttentionMode } from '../../common/model-manifest.ts';
import type { F32Tensor, ModelSpec, WeightName } from '../../common/model-spec.ts';
import { buildFromSource, buildModel, type BuildOptions } from '../builder/build-model.ts';
import { QWEN25_05B } from './reference-model-shapes.ts';

/** Weights for any spec: deterministic small values, every optional tensor the spec asks for. */
function syntheticSource(spec: ModelSpec): { spec: ModelSpec; weight(name: WeightName): Promise<F32Tensor | null> } {
  const { hiddenSize: d, vocabSize: v, attention, mlp } = spec;
  const q = attention.numHeads * attention.headDim;
  const kv = attention.numKvHeads * attention.headDim;
  const ffn = mlp.intermediateSize;
  const layerBias = spec.norm.bias;
  const shapes: Record<string, number[] | null> = {
    embed: [v, d],
    lmHead: spec.tiedEmbeddings ? null : [v, d],
    positionEmbed: spec.positions.kind === 'learned' ? [spec.positions.maxPositions, d] : null,
    'embedNorm.weight': [d],
    'embedNorm.bias': layerBias ? [d] : null,
    'finalNorm.weight': [d],
    'finalNorm.bias': layerBias ? [d] : null,
    'attnNorm.weight': [d],
    'attnNorm.bias': layerBias ? [d] : null,
    'mlpNorm.weight': [d],
    'mlpNorm.bias': layerBias ? [d] : null,
    'q.weight': [q, d],
    'k.weight': [kv, d],
    'v.weight': [kv, d],
    'o.weight': [d, q],
    'q.bias': attention.qkvBias ? [q] : null,
    'k.bias': attention.qkvBias ? [kv] : null,
    'v.bias': attention.qkvBias ? [kv] : null,
    'o.bias': attention.outBias ? [d] : null,
    'qNorm.weight': [attention.headDim],
    'kNorm.weight': [attention.headDim],
    'gate.weight': [ffn, d],
    'up.weight': [ffn, d],
    'down.weight': [d, ffn],
    'gate.bias': mlp.bias ? [ffn] : null,
    'up.bias': mlp.bias ? [ffn] : null,
    'down.bias': mlp.bias ? [d] : null,
  };
  return {
    spec,
    async weight(name) {
      const shape = shapes[name.replace(/^layers\.\d+\./, '')];
      if (!shape) return null;
      const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
      for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 0.37 + name.length) * 0.05;
      return { data, shape };
    },
  };
}

/** Every option that changes what the builder stores (the prefill graph only means something for int4; the int8 kernel for int8 and int4's 8-bit matrices). */
const BUILD_VARIANTS: Omit<BuildOptions, 'onProgress'>[] = [
  { precision: 'fp32' },
  { precision: 'fp16' },
  { precision: 'int8' },
  { precision: 'int8', int8Kernel: 'blockwise' },
  { precision: 'int4' },
  { precision: 'int4', prefillGraph: true },
  { precision: 'int4', int8Kernel: 'blockwise' },
  { precision: 'fp32', attention: 'reference' },
  { precision: 'fp16', attention: 'reference' },
  { precision: 'int8', attention: 'reference' },
];

/** Builds `build` for each variant and asserts the planner's weightBytes is hearth.json's exactly. */
async function assertPlannedWeightsMatchBuilds(what: string, build: (outDir: string, options: BuildOptions) => Promise<{ weightBytes: number; spec: ModelSpec }>): Promise<void> {
  for (const variant of BUILD_VARIANTS) {
    const outDir = mkdtempSync(join(tmpdir(), 'hearth-memory-plan-'));
    try {
      const manifest = await build(outDir, variant);
      const attention: AttentionMode = variant.attention ?? 'fused';
      assert.equal(
        weightBytes(manifest.spec, variant.precision, { ...variant, attention }),
        manifest.weightBytes,
        `${what} ${JSON.stringify(variant)}: planned weight bytes differ from the build's`,
      );
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  }
}

const SHARED_TINY = fileURLToPath(new URL('../../../../shared/fixtures/hf-tiny/', import.meta.url));
const SHAKESPEARE = fileURLToPath(new URL('../../../resources/models/shakespeare-5m/', import.meta.url));

test('planned weight bytes equal the builds of the bundled shakespeare-5m at every precision and kernel', async () => {
  await assertPlannedWeightsMatchBuilds('shakespeare-5m', (out, options) => buildModel(SHAKESPEARE, out, options));
});

for (const fixture of ['llama', 'qwen2', 'gpt2', 'mpt']) {
  const dir = join(SHARED_TINY, fixture);
  test(
    `planned weight bytes equal the builds of hf-tiny/${fixture} at every precision and kernel`,
    { skip: existsSync(join(dir, 'config.json')) ? false : `${dir} is absent (the shared fixtures are not checked out)` },
    async () => {
      await assertPlannedWeightsMatchBuilds(`hf-tiny/${fixture}`, (out, options) => buildModel(dir, out, options));
    },
  );
}

test('planned weight bytes equal the builds of unusual shapes: q/k norms, LayerNorm biases, a hidden size off the block, a sliding window', async () => {
  const base = QWEN25_05B;
  const small: ModelSpec = {
    ...base,
    architecture: 'qwen3',
    vocabSize: 300,
    hiddenSize: 48, // not a multiple of 32: quantized builds keep a float32 embedding
    numLayers: 2,
    contextLength: 64,
    positions: { kind: 'rope', theta: 10_000, rotaryDim: 8, scaling: null, frequencyPrecision: 'float32' },
    attention: { numHeads: 4, numKvHeads: 1, headDim: 16, qkvBias: false, outBias: true, qkNorm: true, slidingWindow: 7, scale: 0.25 },
    mlp: { kind: 'plain', activation: 'gelu', intermediateSize: 100, bias: true },
    tiedEmbeddings: false,
  };
  await assertPlannedWeightsMatchBuilds('qk-norm shape', (out, options) => buildFromSource(syntheticSource(small), out, options));
  const gemmaLike: ModelSpec = {
    ...small,
    architecture: 'gemma',
    hiddenSize: 64,
    norm: { kind: 'layer', eps: 1e-5, weightOffset: 0, bias: true },
    positions: { kind: 'learned', maxPositions: 64 },
    attention: { ...small.attention, numKvHeads: 4, qkNorm: false, slidingWindow: null },
    embeddingScale: 8,
    embeddingNorm: true,
    tiedEmbeddings: true,
  };
  await assertPlannedWeightsMatchBuilds('layer-norm shape', (out, options) => buildFromSource(syntheticSource(gemmaLike), out, options));
});
