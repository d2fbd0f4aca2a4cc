// Which third of a fused query/key/value projection (weight or bias) a canonical q/k/v weight is.
// MPT and GPT-2 stack [q; k; v]; BLOOM and GPT-NeoX interleave them per head (see tensor-layout.ts).
import type { F32Tensor, LayerWeight, ModelSpec } from '../../common/model-spec.ts';
import type { ArchitectureDefinition } from './architecture.ts';
import { readFirst, readPrefixed } from './checkpoint-names.ts';
import { expectedWeightShape } from './spec-weights.ts';
import { sliceRows, takeInterleavedHeads } from './tensor-layout.ts';
import { parseWeightName } from './weight-name.ts';

export interface QkvPart {
  kind: 'weight' | 'bias';
  index: 0 | 1 | 2;
}

const PARTS: Partial<Record<LayerWeight, QkvPart>> = {
  'q.weight': { kind: 'weight', index: 0 },
  'k.weight': { kind: 'weight', index: 1 },
  'v.weight': { kind: 'weight', index: 2 },
  'q.bias': { kind: 'bias', index: 0 },
  'k.bias': { kind: 'bias', index: 1 },
  'v.bias': { kind: 'bias', index: 2 },
};

export function qkvPart(weight: LayerWeight): QkvPart | null {
  return PARTS[weight] ?? null;
}

/**
 * Where an architecture with a fused q/k/v projection keeps each canonical weight: name tables
 * for the global and per-layer tensors, and how q, k or v is taken out of the fused tensor.
 * BLOOM, GPT-NeoX, GPT-2 and MPT differ only in these tables, so they share one loader.
 */
export interface FusedQkvLayout {
  /** The prefix some saving classes put before every name ('transformer', 'gpt_neox'). */
  prefix: string;
  /** Names of an untied output head, first match wins. */
  lmHeadNames: readonly string[];
  globals: Readonly<Partial<Record<string, string>>>;
  layerPath(layer: number): string;
  /** Tensor names inside a layer, by canonical layer weight. */
  layers: Readonly<Partial<Record<string, string>>>;
  /** The fused q/k/v tensor inside a layer. */
  fusedQkvName(kind: QkvPart['kind']): string;
  /** Takes q, k or v out of the fused tensor; a tensor of the wrong size comes back whole so the shape check names it. */
  split(fused: F32Tensor, part: QkvPart, spec: ModelSpec): F32Tensor;
  /** Applied to each tensor read through `layers` (GPT-2 stores Conv1D weights [in, out]). */
  adaptLayerTensor?(tensor: F32Tensor): F32Tensor;
}

export function fusedQkvWeightLoader(layout: FusedQkvLayout): ArchitectureDefinition['loadWeight'] {
  return async (name, checkpoint, spec) => {
    if (expectedWeightShape(spec, name) === null) return null;
    const parsed = parseWeightName(name);
    if (parsed.layer === null) {
      if (parsed.weight === 'lmHead') return readFirst(checkpoint, [...layout.lmHeadNames]);
      const global = layout.globals[parsed.weight];
      return global ? readPrefixed(checkpoint, layout.prefix, global) : null;
    }
    const layer = layout.layerPath(parsed.layer);
    const part = qkvPart(parsed.weight);
    if (part) return layout.split(await readPrefixed(checkpoint, layout.prefix, `${layer}.${layout.fusedQkvName(part.kind)}`), part, spec);
    const local = layout.layers[parsed.weight];
    if (!local) return null;
    const tensor = await readPrefixed(checkpoint, layout.prefix, `${layer}.${local}`);
    return layout.adaptLayerTensor ? layout.adaptLayerTensor(tensor) : tensor;
  };
}

/** [q; k; v] stacked along the output rows (MPT's Wqkv). */
export function splitStackedRows(fused: F32Tensor, part: QkvPart, spec: ModelSpec): F32Tensor {
  const size = spec.hiddenSize;
  return fused.shape[0] === 3 * size ? sliceRows(fused, part.index * size, size) : fused;
}

/** Rows interleaved per head as [head][q, k, v][head_dim] (BLOOM, GPT-NeoX). */
export function splitInterleavedHeads(fused: F32Tensor, part: QkvPart, spec: ModelSpec): F32Tensor {
  const { numHeads, headDim } = spec.attention;
  return fused.shape[0] === 3 * numHeads * headDim ? takeInterleavedHeads(fused, numHeads, headDim, part.index) : fused;
}
