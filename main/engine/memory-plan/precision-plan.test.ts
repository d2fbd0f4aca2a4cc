import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { GpuInfo, HardwareSummary } from '../../common/hardware-contract.ts';
import { HardwareSummarySchema } from '../../common/hardware-contract.ts';
import { planMemory } from './memory-plan.ts';
import type { ModelSpec } from '../../common/model-spec.ts';
import {
  planPrecisions,
  PLAN_HEADROOM,
  TYPICAL_INT4_PERPLEXITY_INCREASE,
  TYPICAL_INT8_PERPLEXITY_INCREASE,
} from './precision-plan.ts';
import { PrecisionPlanSchema } from '../../common/precision-plan-contract.ts';
import type { PrecisionPlan } from '../../common/precision-plan-contract.ts';
import { QWEN25_05B } from '../bench/reference-model-shapes.ts';

const GIB = 1024 ** 3;
const CONTEXT = 4096;

function qwen25HalfB(): ModelSpec {
  return structuredClone(QWEN25_05B);
}

/** Mistral-7B-v0.1's shape, from its config.json: 7.2B parameters, grouped-query attention. */
function mistral7B(): ModelSpec {
  return {
    architecture: 'mistral',
    vocabSize: 32000,
    hiddenSize: 4096,
    numLayers: 32,
    contextLength: 32768,
    norm: { kind: 'rms', eps: 1e-5, weightOffset: 0, bias: false },
    positions: { kind: 'rope', theta: 10_000, rotaryDim: 128, scaling: null, frequencyPrecision: 'float32' },
    attention: { numHeads: 32, numKvHeads: 8, headDim: 128, qkvBias: false, outBias: false, qkNorm: false, slidingWindow: 4096, scale: 1 / Math.sqrt(128) },
    mlp: { kind: 'gated', activation: 'silu', intermediateSize: 14336, bias: false },
    residual: 'sequential',
    embeddingScale: null,
    embeddingNorm: false,
    tiedEmbeddings: false,
    bosTokenId: 1,
    eosTokenIds: [2],
    padTokenId: null,
  };
}

function nvidia(name: string, vramGib: number, freeGib = vramGib): GpuInfo {
  return {
    vendor: 'nvidia',
    name,
    vramTotalBytes: vramGib * GIB,
    vramFreeBytes: freeGib * GIB,
    driver: '550.54.14',
    unifiedMemory: false,
    usableBytes: null,
    source: 'nvidia-smi',
    busId: '00000000:01:00.0',
    note: null,
  };
}

const WEBGPU_OK = { available: true };
const WEBGPU_ERROR = 'Failed to get a WebGPU adapter: No supported adapters';

function machine(overrides: Partial<HardwareSummary> = {}): HardwareSummary {
  return HardwareSummarySchema.parse({
    platform: 'linux',
    arch: 'x64',
    gpus: [],
    cpu: { model: 'AMD Ryzen 7 5800X', logicalCores: 16, physicalCores: 8, features: ['AVX2'] },
    ramTotalBytes: 32 * GIB,
    ramFreeBytes: 24 * GIB,
    webgpu: WEBGPU_OK,
    warnings: [],
    searched: ['nvidia-smi: not installed (no NVIDIA driver)', '/sys/class/drm: 0 cards, no AMD, Intel or NVIDIA card'],
    ...overrides,
  });
}

function option(plan: PrecisionPlan, precision: string) {
  const found = plan.options.find((o) => o.precision === precision);
  assert.ok(found, `the plan has ${precision}`);
  return found;
}

test('0.5B on an 8 GB GPU: fp16 on the GPU, no CPU reason', () => {
  const plan = planPrecisions(qwen25HalfB(), CONTEXT, machine({ gpus: [nvidia('NVIDIA GeForce RTX 3070', 8, 7.5)] }));
  PrecisionPlanSchema.parse(plan);
  assert.deepEqual(plan.recommended, { precision: 'fp16', device: 'gpu' });
  assert.equal(plan.cpuReason, null);
  assert.deepEqual(plan.gpu, { name: 'NVIDIA GeForce RTX 3070', budgetBytes: 7.5 * GIB }, 'free VRAM is the budget');
  assert.deepEqual(plan.options.map((o) => [o.precision, o.fit, o.device]), [
    ['fp32', 'fits-ram-cpu', 'cpu'],
    ['fp16', 'fits-gpu', 'gpu'],
    ['int8', 'fits-gpu', 'gpu'],
    ['int4', 'fits-gpu', 'gpu'],
  ]);
  assert.match(option(plan, 'fp32').cpuReason ?? '', /fp32 runs on the CPU only/);
  assert.match(plan.message, /^fp16 on the GPU \(NVIDIA GeForce RTX 3070\)/);
});

test('sizes come from the memory planner: weights on disk and the planned peak', () => {
  const plan = planPrecisions(qwen25HalfB(), CONTEXT, machine());
  for (const precision of ['fp32', 'fp16', 'int8', 'int4'] as const) {
    const memory = planMemory(qwen25HalfB(), precision, CONTEXT);
    assert.equal(option(plan, precision).weightBytes, memory.weightBytes);
    assert.equal(option(plan, precision).memoryBytes, memory.totalBytes);
  }
  const big = planPrecisions(mistral7B(), CONTEXT, machine());
  assert.ok(option(big, 'int4').weightBytes < option(big, 'int8').weightBytes);
  assert.ok(option(big, 'int8').weightBytes < option(big, 'fp16').weightBytes);
  assert.ok(option(big, 'fp16').weightBytes < option(big, 'fp32').weightBytes);
});

test('7B on 8 GB of VRAM: int4 fits on the GPU, fp16 and int8 do not, and their CPU placement says why', () => {
  const plan = planPrecisions(mistral7B(), CONTEXT, machine({ gpus: [nvidia('NVIDIA GeForce RTX 3070', 8)] }));
  PrecisionPlanSchema.parse(plan);
  assert.equal(option(plan, 'int4').fit, 'fits-gpu');
  assert.notEqual(option(plan, 'fp16').fit, 'fits-gpu');
  assert.notEqual(option(plan, 'int8').fit, 'fits-gpu');
  assert.deepEqual(plan.recommended, { precision: 'int4', device: 'gpu' });
  assert.equal(plan.cpuReason, null);
  // int8 still fits in the 24 GB of free RAM: if the user picks it, it runs on the CPU and says why.
  const int8 = option(plan, 'int8');
  assert.equal(int8.fit, 'fits-ram-cpu');
  assert.match(int8.cpuReason ?? '', /^the model does not fit in 8 GB of VRAM at int8 \(NVIDIA GeForce RTX 3070: it needs [\d.]+ GB plus 10 % headroom\)$/);
  const fp16 = option(plan, 'fp16');
  assert.match(fp16.cpuReason ?? '', /does not fit in 8 GB of VRAM at fp16/);
  assert.match(fp16.note ?? '', /slow on the CPU/);
});

test('7B on a 4 GB GPU: the CPU is chosen, and the reason names the VRAM and the precision', () => {
  const plan = planPrecisions(mistral7B(), CONTEXT, machine({ gpus: [nvidia('NVIDIA GeForce GTX 1650', 4)] }));
  assert.deepEqual(plan.recommended, { precision: 'int8', device: 'cpu' }, 'fp32 (29 GB) does not fit in 24 GB of RAM; int8 does');
  assert.match(plan.cpuReason ?? '', /^the model does not fit in 4 GB of VRAM at int4 /);
  assert.ok(plan.message.includes(plan.cpuReason!), 'the message carries the reason');
  assert.deepEqual(plan.gpu, { name: 'NVIDIA GeForce GTX 1650', budgetBytes: 4 * GIB });
});

test('no GPU: the CPU, because "no GPU found", with where it looked', () => {
  const plan = planPrecisions(qwen25HalfB(), CONTEXT, machine({ webgpu: { available: false, error: WEBGPU_ERROR } }));
  assert.deepEqual(plan.recommended, { precision: 'fp32', device: 'cpu' });
  assert.match(plan.cpuReason ?? '', /^no GPU found \(searched: nvidia-smi: not installed/);
  assert.equal(plan.gpu, null);
  for (const o of plan.options) assert.notEqual(o.device, 'gpu');
  assert.match(option(plan, 'int8').cpuReason ?? '', /^no GPU found/);
});

test('a GPU whose WebGPU provider fails: the CPU, and the reason carries the provider\'s error', () => {
  const plan = planPrecisions(qwen25HalfB(), CONTEXT, machine({
    gpus: [nvidia('NVIDIA GeForce RTX 3090', 24)],
    webgpu: { available: false, error: WEBGPU_ERROR },
  }));
  assert.deepEqual(plan.recommended, { precision: 'fp32', device: 'cpu' });
  assert.equal(plan.cpuReason, `the WebGPU provider failed: ${WEBGPU_ERROR}`);
  assert.equal(option(plan, 'fp16').fit, 'fits-ram-cpu', 'a 24 GB card does not count while WebGPU cannot use it');
});

test('everything too big: nothing recommended, and the message says what would help', () => {
  const plan = planPrecisions(mistral7B(), CONTEXT, machine({ gpus: [nvidia('NVIDIA GeForce GT 1030', 2)], ramFreeBytes: 3 * GIB }));
  PrecisionPlanSchema.parse(plan);
  assert.equal(plan.recommended, null);
  assert.equal(plan.cpuReason, null);
  for (const o of plan.options) {
    assert.equal(o.fit, 'does-not-fit');
    assert.equal(o.device, null);
  }
  // The smallest plan is int4's: on the CPU MLAS holds its 4-bit blocks in 25 bytes per 32 weights, and its 8-bit
  // matrices (builder/quant-recipe.ts) are per-channel int8 at a byte per weight (as 8-bit blocks, 41 bytes per 32,
  // they brought int4 to int8's plan at 7B).
  assert.match(plan.message, /^Nothing fits: even int4 needs [\d.]+ GB plus 10 % headroom at 4096 tokens of context, more than the 3 GB of free RAM or the 2 GB of VRAM on NVIDIA GeForce GT 1030\. Choose a shorter context or a smaller model/);
});

test('headroom: a plan that fills all of the VRAM does not fit, one that leaves 10 % free does', () => {
  const need = planMemory(qwen25HalfB(), 'fp16', CONTEXT, { device: 'gpu' }).totalBytes;
  const tight = planPrecisions(qwen25HalfB(), CONTEXT, machine({ gpus: [{ ...nvidia('GPU', 8), vramFreeBytes: need / 0.95 }] }));
  assert.notEqual(option(tight, 'fp16').fit, 'fits-gpu');
  assert.notDeepEqual(tight.recommended, { precision: 'fp16', device: 'gpu' });
  const roomy = planPrecisions(qwen25HalfB(), CONTEXT, machine({ gpus: [{ ...nvidia('GPU', 8), vramFreeBytes: need / (1 - PLAN_HEADROOM) }] }));
  assert.deepEqual(roomy.recommended, { precision: 'fp16', device: 'gpu' });
});

test('the discrete GPU is planned for, not the iGPU beside it', () => {
  const igpu: GpuInfo = { ...nvidia('Intel(R) UHD Graphics 770', 0.125), vendor: 'intel', source: 'windows-registry', vramFreeBytes: null };
  const plan = planPrecisions(qwen25HalfB(), CONTEXT, machine({ gpus: [igpu, nvidia('NVIDIA GeForce RTX 3070', 8)] }));
  assert.equal(plan.gpu?.name, 'NVIDIA GeForce RTX 3070');
  assert.deepEqual(plan.recommended, { precision: 'fp16', device: 'gpu' });
});

test('a GPU of unknown memory (Intel on i915) is not planned for, and the reason says so', () => {
  const intel: GpuInfo = {
    ...nvidia('Intel GPU 0x9bc5', 0),
    vendor: 'intel',
    vramTotalBytes: null,
    vramFreeBytes: null,
    source: 'sysfs',
    note: 'i915 reports no VRAM size: an integrated Intel GPU uses shared system memory, so its usable memory is unknown',
  };
  const plan = planPrecisions(qwen25HalfB(), CONTEXT, machine({ gpus: [intel] }));
  assert.equal(plan.recommended?.device, 'cpu');
  assert.match(plan.cpuReason ?? '', /GPU memory size is unknown: Intel GPU 0x9bc5 \(i915 reports no VRAM size/);
});

test('Apple unified memory: the budget is the GPU-usable share, not all of the RAM', () => {
  const m2: GpuInfo = {
    vendor: 'apple',
    name: 'Apple M2 GPU',
    vramTotalBytes: 16 * GIB,
    vramFreeBytes: null,
    driver: null,
    unifiedMemory: true,
    usableBytes: (16 * GIB * 2) / 3,
    source: 'sysctl',
    busId: null,
    note: 'assumed',
  };
  const plan = planPrecisions(mistral7B(), CONTEXT, machine({ gpus: [m2], platform: 'darwin', arch: 'arm64', ramFreeBytes: 10 * GIB }));
  assert.equal(plan.gpu?.budgetBytes, (16 * GIB * 2) / 3);
  // fp16 (about 14.4 GB) would fit in 90 % of all 16 GB, but not in the 10.7 GB Metal allows.
  assert.equal(option(plan, 'fp16').fit, 'does-not-fit');
  assert.deepEqual(plan.recommended, { precision: 'int8', device: 'gpu' });
});

test('quality notes: fp32 the reference, typical int8/int4 figures from shakespeare-5m, measured ones when given', () => {
  const typical = planPrecisions(qwen25HalfB(), CONTEXT, machine());
  assert.deepEqual(option(typical, 'fp32').quality, { perplexityIncrease: 0, basis: 'reference', measuredOn: null, note: 'full precision (the reference)' });
  assert.equal(option(typical, 'int8').quality.perplexityIncrease, TYPICAL_INT8_PERPLEXITY_INCREASE);
  assert.equal(option(typical, 'int8').quality.note, 'about +0.0–0.1 % perplexity: typical, measured on shakespeare-5m, not on this model');
  assert.equal(option(typical, 'int8').quality.measuredOn, 'shakespeare-5m');
  assert.equal(option(typical, 'int4').quality.perplexityIncrease, TYPICAL_INT4_PERPLEXITY_INCREASE);
  assert.equal(option(typical, 'int4').quality.note, 'about +0.3 % perplexity: typical, measured on shakespeare-5m, not on this model');
  assert.equal(option(typical, 'int4').quality.measuredOn, 'shakespeare-5m');
  assert.equal(option(typical, 'fp16').quality.basis, 'unmeasured');

  const measured = planPrecisions(qwen25HalfB(), CONTEXT, machine(), { perplexityIncrease: { int4: 0.0123, fp16: 0.0001 } });
  assert.deepEqual(option(measured, 'int4').quality, { perplexityIncrease: 0.0123, basis: 'measured', measuredOn: null, note: '+1.2 % perplexity, measured on this model' });
  assert.equal(option(measured, 'fp16').quality.note, '+0.01 % perplexity, measured on this model');
  assert.equal(option(measured, 'int8').quality.basis, 'typical');
});

test('a bad context length is rejected by the memory planner', () => {
  assert.throws(() => planPrecisions(qwen25HalfB(), 0, machine()), RangeError);
});

test('a GGUF model: the fp32 option is the file as downloaded, planned with its weights as stored and named after its type', () => {
  const spec = mistral7B();
  const cpuOnly = machine({ ramFreeBytes: 32 * GIB });
  const stored = 4_368_438_272; // Mistral-7B Q4_K_M's tensors
  const plain = planPrecisions(spec, CONTEXT, cpuOnly);
  const plan = planPrecisions(spec, CONTEXT, cpuOnly, { asDownloaded: { fileType: 'Q4_K_M', weightBytes: stored } });
  PrecisionPlanSchema.parse(plan);
  const [first, ...rest] = plan.options;
  assert.equal(first.precision, 'fp32', 'listed first, in the slot it is built under');
  assert.equal(first.asDownloaded, 'Q4_K_M');
  assert.equal(first.weightBytes, stored);
  const fp32 = plain.options[0];
  assert.equal(first.memoryBytes, fp32.memoryBytes - planMemory(spec, 'fp32', CONTEXT).residentWeightBytes + stored, 'the KV cache and workspace stay, the weights are the stored bytes');
  assert.equal(first.quality.basis, 'reference');
  assert.match(first.quality.note, /exactly as downloaded/);
  assert.deepEqual(rest, plain.options.slice(1), 'the precisions Hearth builds are planned as for any model');
  assert.ok(rest.every((option) => option.asDownloaded === null));
  assert.equal(plan.recommended?.precision, 'fp32');
  assert.match(plan.message, /^Q4_K_M \(as downloaded\) on the CPU: /);
  assert.match(first.cpuReason ?? '', /no GPU found/);
  // With the resident bytes of its kept blocks (gguf-as-downloaded-plan.ts), RAM is planned with those.
  const resident = 1.6 * stored;
  const withResident = planPrecisions(spec, CONTEXT, cpuOnly, { asDownloaded: { fileType: 'Q4_K_M', weightBytes: stored, residentWeightBytes: resident } });
  assert.equal(withResident.options[0].weightBytes, stored);
  assert.equal(withResident.options[0].memoryBytes, first.memoryBytes - stored + resident);
});
