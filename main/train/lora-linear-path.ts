// The LoRA path a training graph adds to each targeted linear layer, fed by graph inputs:
// y + (alpha / r) · ((x · mask) Aᵀ) Bᵀ, with A [r, in] and B [out, r] in PEFT's layout. Tokens
// are flattened to rows first so both products are plain Gemms, whose gradients are Gemms too.
// The dropout mask (already scaled by 1 / (1 − p)) is an input of its own, drawn by the caller
// from a seeded generator, so a resumed run repeats it exactly.
// A fused module (phi3's qkv_proj, BLOOM's query_key_value, ...) is one A/B pair in PEFT while the
// graph computes q, k and v apart: each of them takes the shared A (and dropout mask) and its own
// rows of B, so the gradients of the three uses add up in A and fill B's row bands, as PEFT's.
import type { LinearExtension } from '../engine/builder/build-context.ts';
import { attr, DataType } from '../engine/onnx/graph.ts';
import { loraAName, loraBName } from './lora-adapter.ts';
import { linearLoraTarget, type FusedPart } from './lora-targets.ts';
import type { ModelSpec } from '../common/model-spec.ts';
import type { TapeGraph } from './tape-graph.ts';

/** The graph input carrying a module's dropout mask [tokens, in]. */
export const dropoutMaskName = (path: string): string => `${path}.lora_dropout_mask`;

export interface LoraPathOptions {
  spec: ModelSpec;
  r: number;
  scaling: number;
  /** Module paths (`model.layers.0.self_attn.q_proj`) that get a path. */
  targets: ReadonlySet<string>;
  /** Whether each path takes a dropout mask input. */
  dropout: boolean;
}

export interface LoraGraphInputs {
  /** Declared A/B inputs in declaration order. */
  parameters: { name: string; shape: [number, number] }[];
  /** Declared dropout masks: input name and in_features. */
  dropoutMasks: { name: string; inFeatures: number }[];
}

export function loraLinearPath(g: TapeGraph, options: LoraPathOptions, declared: LoraGraphInputs): LinearExtension {
  const inputs = new Map<string, { a: string; b: string; mask: string | null }>();
  /** A module's A, B and mask inputs, declared at its first use. */
  const moduleInputs = (path: string, outFeatures: number, inFeatures: number) => {
    let found = inputs.get(path);
    if (!found) {
      const a = g.input(loraAName(path), DataType.FLOAT, [options.r, inFeatures]);
      const b = g.input(loraBName(path), DataType.FLOAT, [outFeatures, options.r]);
      declared.parameters.push({ name: a, shape: [options.r, inFeatures] }, { name: b, shape: [outFeatures, options.r] });
      let mask: string | null = null;
      if (options.dropout) {
        mask = g.input(dropoutMaskName(path), DataType.FLOAT, ['tokens', inFeatures]);
        declared.dropoutMasks.push({ name: mask, inFeatures });
      }
      found = { a, b, mask };
      inputs.set(path, found);
    }
    return found;
  };
  return (x, name, y, weightShape) => {
    const target = linearLoraTarget(options.spec, name);
    if (!target || !options.targets.has(target.module.path)) return y;
    const { path, outFeatures, inFeatures } = target.module;
    if (weightShape[1] !== inFeatures) throw new Error(`${name}: the layer takes ${weightShape[1]} features, ${path} expects ${inFeatures}.`);
    const { a, b, mask } = moduleInputs(path, outFeatures, inFeatures);
    let rows = g.op('Reshape', [x, g.int64s([-1, inFeatures], [2])]);
    if (mask) rows = g.op('Mul', [rows, mask]);
    const down = g.op('Gemm', [rows, a], { transB: attr.int(1) }, { name: `${name}/lora_A` });
    const bPart = target.part ? fusedRowsOf(g, b, target.part, options.r) : b;
    const up = g.op('Gemm', [down, bPart], { transB: attr.int(1), alpha: attr.float(options.scaling) }, { name: `${name}/lora_B` });
    return g.op('Add', [y, g.op('Reshape', [up, g.op('Shape', [y])])], {}, { name: `${name}/lora_add` });
  };
}

/** The rows of a fused module's B [out, r] that one graph layer's output is (Slice and Reshape, both differentiable). */
function fusedRowsOf(g: TapeGraph, b: string, part: FusedPart, r: number): string {
  if (part.kind === 'rows') return g.op('Slice', [b, g.int64s([part.start]), g.int64s([part.start + part.size]), g.int64s([0])]);
  const { numHeads, headDim, index } = part;
  const perHead = g.op('Reshape', [b, g.int64s([numHeads, 3, headDim * r], [3])]);
  const taken = g.op('Slice', [perHead, g.int64s([index]), g.int64s([index + 1]), g.int64s([1])]);
  return g.op('Reshape', [taken, g.int64s([numHeads * headDim, r], [2])]);
}
