// Test support: checks the differentiator against central finite differences on small graphs.
// `build` records a graph on a tape from float inputs; the scalar differentiated is
// Σ y·(y + 0.37) over its output y, so every output element's gradient differs.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { attr, DataType } from '../engine/onnx/graph.ts';
import { GraphBuilder } from '../engine/onnx/graph-builder.ts';
import { differentiate } from './differentiate.ts';
import { TapeGraph } from './tape-graph.ts';

export interface CheckedInput {
  name: string;
  dims: number[];
  /** Values; random in [-1, 1) when absent. */
  data?: Float32Array | BigInt64Array;
  /** Whether the gradient to this input is checked (default true; int64 inputs never are). */
  trained?: boolean;
}

export interface GradientCheckResult {
  /** Largest |analytic − numeric| / max(1, |numeric|) over every checked element; Infinity where a gradient is NaN or infinite. */
  worstError: number;
  /** Where it happened, for the assertion message. */
  worstAt: string;
}

/** A small deterministic generator, so that failures repeat. */
function uniform(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/**
 * |analytic − numeric| / max(1, |numeric|), or Infinity where either side is NaN: a NaN compares
 * false with everything, so without this a NaN gradient would never count as the worst and pass.
 */
export function relativeError(analytic: number, numeric: number): number {
  const error = Math.abs(analytic - numeric) / Math.max(1, Math.abs(numeric));
  return Number.isNaN(error) ? Infinity : error;
}

export async function checkGradients(inputs: CheckedInput[], build: (g: TapeGraph, inputs: string[]) => string, epsilon = 1e-2): Promise<GradientCheckResult> {
  const next = uniform(42);
  const values = inputs.map((input) => input.data ?? Float32Array.from({ length: input.dims.reduce((a, b) => a * b, 1) }, () => next() * 2 - 1));
  const g = new TapeGraph();
  const names = inputs.map((input, i) => g.input(input.name, values[i] instanceof BigInt64Array ? DataType.INT64 : DataType.FLOAT, input.dims));
  const y = build(g, names);
  const loss = g.op('ReduceSum', [g.op('Mul', [y, g.op('Add', [y, g.floats([0.37], [])])])], { keepdims: attr.int(0) });
  const trained = inputs.filter((input, i) => input.trained !== false && values[i] instanceof Float32Array).map((input) => input.name);
  const grads = differentiate(g, loss, trained);
  g.output('loss', DataType.FLOAT, [], loss);
  for (const name of trained) g.output(`grad.${name}`, DataType.FLOAT, inputs.find((i) => i.name === name)!.dims, grads.get(name)!);

  const dir = await mkdtemp(join(tmpdir(), 'hearth-gradcheck-'));
  try {
    const builder = new GraphBuilder({ dir });
    g.writeTo(builder);
    const { graphPath } = builder.finish();
    const session = await InferenceSession.create(graphPath, { graphOptimizationLevel: 'disabled' });
    const run = async (data: (Float32Array | BigInt64Array)[]) => {
      const feeds: Record<string, Tensor> = {};
      inputs.forEach((input, i) => (feeds[input.name] = new Tensor(data[i] instanceof BigInt64Array ? 'int64' : 'float32', data[i], input.dims)));
      return session.run(feeds);
    };
    const base = await run(values);
    let worstError = 0;
    let worstAt = '';
    for (const name of trained) {
      const index = inputs.findIndex((i) => i.name === name);
      const analytic = base[`grad.${name}`].data as Float32Array;
      for (let k = 0; k < values[index].length; k++) {
        const lossAt = async (delta: number) => {
          const shifted = values.map((v, i) => (i === index ? Float32Array.from(v as Float32Array) : v));
          (shifted[index] as Float32Array)[k] += delta;
          return ((await run(shifted)).loss.data as Float32Array)[0];
        };
        const numeric = ((await lossAt(epsilon)) - (await lossAt(-epsilon))) / (2 * epsilon);
        const error = relativeError(analytic[k], numeric);
        if (error > worstError) {
          worstError = error;
          worstAt = `${name}[${k}]: analytic ${analytic[k]}, numeric ${numeric}`;
        }
      }
    }
    await session.release();
    return { worstError, worstAt };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
