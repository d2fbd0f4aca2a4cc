// The LoRA path a training graph adds to each targeted linear layer, fed by graph inputs:
// y + (alpha / r) · ((x · mask) Aᵀ) Bᵀ, with A [r, in] and B [out, r] in PEFT's layout. Tokens
// are flattened to rows first so both products are plain Gemms, whose gradients are Gemms too.
// The dropout mask (already scaled by 1 / (1 − p)) is an input of its own, drawn by the caller
// from a seeded generator, so a resumed run repeats it exactly.
import type { LinearExtension } from '../engine/builder/build-context.ts';
import { attr, DataType } from '../engine/onnx/graph.ts';
import { loraAName, loraBName } from './lora-adapter.ts';
import { hfModulePath } from './lora-targets.ts';
import type { TapeGraph } from './tape-graph.ts';

/** The graph input carrying a module's dropout mask [tokens, in]. */
export const dropoutMaskName = (path: string): string => `${path}.lora_dropout_mask`;

export interface LoraPathOptions {
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
  return (x, name, y, weightShape) => {
    const module = hfModulePath(name);
    if (!module || !options.targets.has(module.path)) return y;
    const [outFeatures, inFeatures] = weightShape;
    const a = g.input(loraAName(module.path), DataType.FLOAT, [options.r, inFeatures]);
    const b = g.input(loraBName(module.path), DataType.FLOAT, [outFeatures, options.r]);
    declared.parameters.push({ name: a, shape: [options.r, inFeatures] }, { name: b, shape: [outFeatures, options.r] });
    let rows = g.op('Reshape', [x, g.int64s([-1, inFeatures], [2])]);
    if (options.dropout) {
      const mask = g.input(dropoutMaskName(module.path), DataType.FLOAT, ['tokens', inFeatures]);
      declared.dropoutMasks.push({ name: mask, inFeatures });
      rows = g.op('Mul', [rows, mask]);
    }
    const down = g.op('Gemm', [rows, a], { transB: attr.int(1) }, { name: `${name}/lora_A` });
    const up = g.op('Gemm', [down, b], { transB: attr.int(1), alpha: attr.float(options.scaling) }, { name: `${name}/lora_B` });
    return g.op('Add', [y, g.op('Reshape', [up, g.op('Shape', [y])])], {}, { name: `${name}/lora_add` });
  };
}
