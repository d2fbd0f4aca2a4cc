// QLoRA's frozen base: the gradient through MatMulNBits (vjp-quantized.ts) against finite
// differences and against dy·Ŵ, the int8/int4 training graph's forward against the inference
// build at the same precision, and the LoRA gradients over an int4 base of shakespeare-5m
// against a finite difference of its own loss.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { openModelSource, type ModelSource } from '../engine/architectures/model-source.ts';
import { buildModel } from '../engine/builder/build-model.ts';
import { attr, DataType } from '../engine/onnx/graph.ts';
import { GraphBuilder } from '../engine/onnx/graph-builder.ts';
import { dequantizeMatMulNBits, quantizeMatMulNBits } from '../engine/quant/matmul-nbits.ts';
import { computeLogits } from '../engine/runtime/logits.ts';
import { openModel } from '../engine/runtime/model-session.ts';
import { differentiate } from './differentiate.ts';
import { checkGradients } from './gradient-check-support.ts';
import { loraParameters, loraScaling, type LoraAdapter } from './lora-adapter.ts';
import { readPeftAdapter } from './peft-adapter-files.ts';
import { TapeGraph } from './tape-graph.ts';
import { FIXTURES_MISSING, LORA_FIXTURES, readGradReference, SHAKESPEARE_DIR, type GradReference } from './test/reference-batch.ts';
import { writeTrainingGraph } from './training-graph.ts';
import { TrainingSession } from './training-session.ts';
import { DEQUANTIZED_ROWS } from './vjp-quantized.ts';

function randomWeights(length: number, seed: number): Float32Array {
  let state = seed >>> 0;
  return Float32Array.from({ length }, () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1);
}

/** y = x·Ŵᵀ by MatMulNBits at accuracy level 0 (float compute), so that finite differences see the exact function. */
function emitQuantizedLinear(g: TapeGraph, x: string, N: number, K: number, bits: 4 | 8, symmetric: boolean) {
  const q = quantizeMatMulNBits(randomWeights(N * K, 7), N, K, { bits, blockSize: 32, symmetric });
  const inputs = [x, g.initializer('w_q', DataType.UINT8, [N, q.kBlocks, q.blobSize], q.packed), g.initializer('w_scales', DataType.FLOAT, [N, q.kBlocks], q.scales)];
  if (q.zeroPoints) inputs.push(g.initializer('w_zp', DataType.UINT8, [N, q.zeroPoints.length / N], q.zeroPoints));
  const y = g.op('MatMulNBits', inputs, { K: attr.int(K), N: attr.int(N), bits: attr.int(bits), block_size: attr.int(32), accuracy_level: attr.int(0) }, { domain: 'com.microsoft' });
  return { y, dequantized: dequantizeMatMulNBits(q, N, K, { bits, blockSize: 32 }) };
}

describe('the gradient through a frozen MatMulNBits', () => {
  for (const [bits, symmetric] of [[4, true], [4, false], [8, true]] as const) {
    it(`matches finite differences (${bits} bits, ${symmetric ? 'symmetric' : 'zero points'})`, async () => {
      // The checked loss is quadratic in x, so a wide central difference is exact and rounds less.
      const { worstError, worstAt } = await checkGradients([{ name: 'x', dims: [3, 64] }], (g, [x]) => emitQuantizedLinear(g, x, 40, 64, bits, symmetric).y, 0.25);
      assert.ok(worstError < 1e-3, `worst relative error ${worstError} at ${worstAt}`);
    });
  }

  it(`is dy·Ŵ exactly when Ŵ is dequantized in slices of ${DEQUANTIZED_ROWS} rows (an output head)`, async () => {
    const N = DEQUANTIZED_ROWS * 2 + 100;
    const K = 64;
    const g = new TapeGraph();
    const x = g.input('x', DataType.FLOAT, [2, K]);
    const { y, dequantized } = emitQuantizedLinear(g, x, N, K, 4, false);
    const dy = g.input('dy', DataType.FLOAT, [2, N]);
    // loss = Σ y·dy, so d(loss)/dx = dy·Ŵ.
    const loss = g.op('ReduceSum', [g.op('Mul', [y, dy])], { keepdims: attr.int(0) });
    g.output('grad', DataType.FLOAT, [2, K], differentiate(g, loss, [x]).get(x)!);
    const dir = await mkdtemp(join(tmpdir(), 'hearth-qgrad-'));
    try {
      const builder = new GraphBuilder({ dir });
      g.writeTo(builder);
      const session = await InferenceSession.create(builder.finish().graphPath);
      const dyData = randomWeights(2 * N, 3);
      const grad = (await session.run({ x: new Tensor('float32', randomWeights(2 * K, 5), [2, K]), dy: new Tensor('float32', dyData, [2, N]) })).grad.data as Float32Array;
      await session.release();
      let worst = 0;
      for (let r = 0; r < 2; r++) {
        for (let k = 0; k < K; k++) {
          let expected = 0;
          for (let n = 0; n < N; n++) expected += dyData[r * N + n] * dequantized[n * K + k];
          worst = Math.max(worst, Math.abs(grad[r * K + k] - expected) / Math.max(1, Math.abs(expected)));
        }
      }
      assert.ok(worst < 1e-4, `largest relative difference from dy·Ŵ: ${worst}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('training over an int8/int4 base (shakespeare-5m)', { skip: FIXTURES_MISSING }, () => {
  let dir: string;
  let source: ModelSource;
  let reference: GradReference;
  let adapter: LoraAdapter;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hearth-qlora-'));
    reference = await readGradReference();
    source = await openModelSource(SHAKESPEARE_DIR);
    adapter = await readPeftAdapter(join(LORA_FIXTURES, 'adapter_init'), source.spec);
  });

  after(async () => {
    await source?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  for (const precision of ['int8', 'int4'] as const) {
    it(`scores each row as the ${precision} inference build's logits do`, async () => {
      const graph = await writeTrainingGraph(source, dir, `eval-${precision}.onnx`, { r: 1, scaling: 1, targets: [], dropout: false, gradients: false, baseDtype: precision });
      const session = await TrainingSession.open(graph, { threads: 2 });
      const run = await session.run(reference.batch, new Map());
      await session.release();
      const built = join(dir, `built-${precision}`);
      await buildModel(SHAKESPEARE_DIR, built, { precision, int8Kernel: 'blockwise' });
      const model = await openModel(built, { threads: 2 });
      try {
        const { rows, length, inputIds, attentionMask, labels } = reference.batch;
        const vocab = model.spec.vocabSize;
        for (let r = 0; r < rows; r++) {
          const ids: number[] = [];
          for (let t = 0; t < length && attentionMask[r * length + t] === 1n; t++) ids.push(Number(inputIds[r * length + t]));
          const logits = await computeLogits(model, ids);
          let nll = 0;
          for (let t = 0; t + 1 < ids.length; t++) {
            const label = labels[r * length + t + 1];
            if (label < 0n) continue;
            const row = logits.subarray(t * vocab, (t + 1) * vocab);
            const max = row.reduce((m, v) => Math.max(m, v), -Infinity);
            const logSum = Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0)) + max;
            nll += logSum - row[Number(label)];
          }
          // int8 activations inside MatMulNBits (accuracy level 4) round fused and reference attention's tiny differences apart.
          assert.ok(Math.abs(run.rowNll[r] - nll) <= 3e-3 * Math.max(1, nll), `row ${r}: training graph ${run.rowNll[r]}, inference build ${nll}`);
        }
      } finally {
        await model.release();
      }
    });
  }

  it('gives LoRA gradients that a finite difference of the int4 loss confirms', async () => {
    const graph = await writeTrainingGraph(source, dir, 'train-int4.onnx', {
      r: adapter.settings.r,
      scaling: loraScaling(adapter.settings),
      targets: adapter.modules.map((m) => m.path),
      dropout: false,
      gradients: true,
      baseDtype: 'int4',
    });
    const session = await TrainingSession.open(graph, { threads: 2 });
    try {
      // B starts at zero in PEFT's init: move it off zero so that A's gradients are not zero too.
      const params = new Map(loraParameters(adapter).map((p) => [p.name, p.name.endsWith('lora_B.weight') ? randomWeights(p.data.length, 11).map((v) => v * 0.05) : p.data]));
      const run = await session.run(reference.batch, params);
      assert.ok(graph.parameters.every((p) => run.grads.has(p.name)), 'every LoRA matrix gets a gradient');
      // Along the gradient itself: (L(θ + εĝ) − L(θ − εĝ)) / 2ε = |g|. The forward rounds activations
      // to int8 (accuracy level 4), so steps under about 0.03 see that rounding rather than the slope
      // (measured: ε 0.003 gave +25 %); at 0.03 int4 gave +1.3 %, and a float32 base −1.1 % (curvature).
      let norm = 0;
      for (const grad of run.grads.values()) for (const v of grad) norm += v * v;
      norm = Math.sqrt(norm);
      const epsilon = 0.03;
      const shifted = (sign: number) => new Map([...params].map(([name, data]) => [name, data.map((v, i) => v + (sign * epsilon * run.grads.get(name)![i]) / norm)]));
      const numeric = ((await session.run(reference.batch, shifted(1))).loss - (await session.run(reference.batch, shifted(-1))).loss) / (2 * epsilon);
      assert.ok(Math.abs(numeric - norm) <= 0.03 * norm, `directional derivative ${numeric}, gradient norm ${norm}`);
    } finally {
      await session.release();
    }
  });
});

describe('recomputed layers (gradient checkpointing)', { skip: FIXTURES_MISSING }, () => {
  it('give the same loss and LoRA gradients as kept activations (int4 base)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hearth-recompute-'));
    const source = await openModelSource(SHAKESPEARE_DIR);
    try {
      const reference = await readGradReference();
      const adapter = await readPeftAdapter(join(LORA_FIXTURES, 'adapter_init'), source.spec);
      const params = new Map(loraParameters(adapter).map((p) => [p.name, p.name.endsWith('lora_B.weight') ? randomWeights(p.data.length, 13).map((v) => v * 0.05) : p.data]));
      const runs = [];
      for (const recompute of [false, true]) {
        const options = { r: adapter.settings.r, scaling: loraScaling(adapter.settings), targets: adapter.modules.map((m) => m.path), dropout: false, gradients: true, baseDtype: 'int4' as const, recompute };
        const graph = await writeTrainingGraph(source, dir, `train-${recompute}.onnx`, options);
        const session = await TrainingSession.open(graph, { threads: 2 });
        runs.push({ nodes: graph.nodeCount, run: await session.run(reference.batch, params) });
        await session.release();
      }
      const [kept, recomputed] = runs;
      assert.ok(recomputed.nodes > kept.nodes, 'the layers are recorded a second time');
      assert.ok(Math.abs(recomputed.run.loss - kept.run.loss) <= 1e-6, `loss ${recomputed.run.loss} against ${kept.run.loss}`);
      for (const [name, grad] of kept.run.grads) {
        const other = recomputed.run.grads.get(name)!;
        const worst = grad.reduce((w, v, i) => Math.max(w, Math.abs(v - other[i])), 0);
        assert.ok(worst <= 1e-6, `${name}: largest difference ${worst}`);
      }
    } finally {
      await source.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
