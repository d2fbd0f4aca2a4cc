// Which linear layers get a LoRA path, named as PEFT names them. The graph builder names a layer
// `/model/layers.3/attn/q_proj`; Hugging Face (and so PEFT) calls the same module
// `model.layers.3.self_attn.q_proj` in llama-style models, `transformer.h.3.attn.c_attn` in GPT-2.
// The fused and Conv1D families (phi3, gpt2, gpt_neox, bloom, mpt) keep PEFT's own layout: one
// A/B pair per fused module, whose B rows span its outputs (q, k, v or gate, up) as the checkpoint
// orders them; the training graph gives each canonical layer its rows (linearLoraTarget), and
// merges work on the checkpoint's fused tensors (merged-weights.ts), so adapters stay PEFT's.
import type { Architecture, ModelSpec } from '../common/model-spec.ts';

export const ATTENTION_MODULES = ['q_proj', 'k_proj', 'v_proj', 'o_proj'] as const;
export const MLP_MODULES = ['gate_proj', 'up_proj', 'down_proj'] as const;
/** Module names of the other families' linear layers (up_proj and down_proj are MPT's too). */
export const FAMILY_MODULES = ['qkv_proj', 'gate_up_proj', 'c_attn', 'c_proj', 'c_fc', 'query_key_value', 'dense', 'dense_h_to_4h', 'dense_4h_to_h', 'Wqkv', 'out_proj'] as const;
/** The llama-style modules: what parseTargetModules knows without a model (parseFamilyTargetModules knows each family). */
export type LlamaModuleName = (typeof ATTENTION_MODULES)[number] | (typeof MLP_MODULES)[number];
export type LoraModuleName = LlamaModuleName | (typeof FAMILY_MODULES)[number];
export const LORA_MODULE_NAMES: readonly LlamaModuleName[] = [...ATTENTION_MODULES, ...MLP_MODULES];
/** Every module name an adapter of any supported family may target. */
export const ALL_MODULE_NAMES: readonly LoraModuleName[] = [...LORA_MODULE_NAMES, ...FAMILY_MODULES];

/** `all-linear` as PEFT means it: every linear layer but the output head. */
export const ALL_LINEAR = 'all-linear';

const LLAMA_STYLE: readonly Architecture[] = ['llama', 'mistral', 'qwen2', 'qwen3', 'gemma'];
/** Architectures whose adapters can be trained, read, applied and merged, in PEFT's module names. */
const ADAPTER_FAMILIES: readonly Architecture[] = [...LLAMA_STYLE, 'phi3', 'gpt2', 'gpt_neox', 'bloom', 'mpt'];

/** The target list is wrong, or the model's architecture has no PEFT-compatible layer names here. */
export class LoraTargetError extends Error {
  override name = 'LoraTargetError';
}

export function checkLoraArchitecture(spec: ModelSpec): void {
  if (!ADAPTER_FAMILIES.includes(spec.architecture)) {
    throw new LoraTargetError(`LoRA supports ${ADAPTER_FAMILIES.join(', ')} models; this one is ${spec.architecture}, whose layers Hearth cannot name as PEFT does.`);
  }
}

/** One linear layer of a decoder layer as PEFT sees it: its module path and its LoRA's sizes. */
export interface LayerModule {
  module: LoraModuleName;
  /** `transformer.h.0.attn.c_attn` */
  path: string;
  outFeatures: number;
  inFeatures: number;
  /** GPT-2's Conv1D stores its weight [in, out]: PEFT then sets fan_in_fan_out and merges (B·A)ᵀ. */
  conv1d: boolean;
}

/** The linear layers of decoder layer `layer`, in the order PEFT's all-linear finds them per family. */
export function layerModules(spec: ModelSpec, layer: number): LayerModule[] {
  const { hiddenSize: hidden } = spec;
  const { numHeads, numKvHeads, headDim } = spec.attention;
  const inner = spec.mlp.intermediateSize;
  const attention = numHeads * headDim;
  const linear = (path: string, module: LoraModuleName, outFeatures: number, inFeatures: number, conv1d = false): LayerModule => ({ module, path: `${path}.${module}`, outFeatures, inFeatures, conv1d });
  switch (spec.architecture) {
    case 'phi3':
      return [
        linear(`model.layers.${layer}.self_attn`, 'qkv_proj', (numHeads + 2 * numKvHeads) * headDim, hidden),
        linear(`model.layers.${layer}.self_attn`, 'o_proj', hidden, attention),
        linear(`model.layers.${layer}.mlp`, 'gate_up_proj', 2 * inner, hidden),
        linear(`model.layers.${layer}.mlp`, 'down_proj', hidden, inner),
      ];
    case 'gpt2':
      return [
        linear(`transformer.h.${layer}.attn`, 'c_attn', 3 * hidden, hidden, true),
        linear(`transformer.h.${layer}.attn`, 'c_proj', hidden, hidden, true),
        linear(`transformer.h.${layer}.mlp`, 'c_fc', inner, hidden, true),
        linear(`transformer.h.${layer}.mlp`, 'c_proj', hidden, inner, true),
      ];
    case 'gpt_neox':
    case 'bloom': {
      const [attn, mlp] = spec.architecture === 'bloom' ? [`transformer.h.${layer}.self_attention`, `transformer.h.${layer}.mlp`] : [`gpt_neox.layers.${layer}.attention`, `gpt_neox.layers.${layer}.mlp`];
      return [
        linear(attn, 'query_key_value', 3 * attention, hidden),
        linear(attn, 'dense', hidden, attention),
        linear(mlp, 'dense_h_to_4h', inner, hidden),
        linear(mlp, 'dense_4h_to_h', hidden, inner),
      ];
    }
    case 'mpt':
      return [
        linear(`transformer.blocks.${layer}.attn`, 'Wqkv', 3 * attention, hidden),
        linear(`transformer.blocks.${layer}.attn`, 'out_proj', hidden, attention),
        linear(`transformer.blocks.${layer}.ffn`, 'up_proj', inner, hidden),
        linear(`transformer.blocks.${layer}.ffn`, 'down_proj', hidden, inner),
      ];
    default:
      return LORA_MODULE_NAMES.map((module) => {
        const [outFeatures, inFeatures] = moduleWeightShape(spec, module);
        return linear(`model.layers.${layer}.${(ATTENTION_MODULES as readonly string[]).includes(module) ? 'self_attn' : 'mlp'}`, module, outFeatures, inFeatures);
      });
  }
}

/** `all-linear` or a list of a family's module names, for adapters of any supported family. */
export function parseFamilyTargetModules(spec: ModelSpec, text: string | readonly string[]): LoraModuleName[] {
  const names = [...new Set(layerModules(spec, 0).map((m) => m.module))];
  const items = typeof text === 'string' ? text.split(',').map((item) => item.trim()).filter((item) => item !== '') : [...text];
  if (items.length === 1 && items[0] === ALL_LINEAR) return names;
  const unknown = items.filter((item) => !(names as readonly string[]).includes(item));
  if (items.length === 0 || unknown.length > 0) {
    throw new LoraTargetError(`LoRA target module(s) ${unknown.join(', ') || '(none)'} do not name ${spec.architecture} layers: use ${ALL_LINEAR} or names among ${names.join(', ')}.`);
  }
  return [...new Set(items)] as LoraModuleName[];
}

/** Module names (q_proj, ...) from `all-linear` or a list such as `q_proj,v_proj`. */
export function parseTargetModules(text: string | readonly string[]): LoraModuleName[] {
  const items = typeof text === 'string' ? text.split(',').map((item) => item.trim()).filter((item) => item !== '') : [...text];
  if (items.length === 1 && items[0] === ALL_LINEAR) return [...LORA_MODULE_NAMES];
  if (items.length === 0) throw new LoraTargetError(`No LoRA target modules given: use ${ALL_LINEAR} or a list such as q_proj,v_proj.`);
  const unknown = items.filter((item) => !(LORA_MODULE_NAMES as readonly string[]).includes(item));
  if (unknown.length > 0) {
    throw new LoraTargetError(`Unknown LoRA target module(s) ${unknown.join(', ')}: use ${ALL_LINEAR} or names among ${LORA_MODULE_NAMES.join(', ')}.`);
  }
  return [...new Set(items)] as LoraModuleName[];
}

/**
 * Which rows of a fused module's output a graph linear layer is: `rows` a band [start, start +
 * size) of [q; k; v] or [gate; up] stacked (phi3, GPT-2, MPT); `heads` one of q, k, v from rows
 * interleaved per head as [head][q, k, v][head_dim] (BLOOM, GPT-NeoX).
 */
export type FusedPart = { kind: 'rows'; start: number; size: number } | { kind: 'heads'; numHeads: number; headDim: number; index: 0 | 1 | 2 };

/** The LoRA module a linear layer of the training graph belongs to, and which part of its output it is. */
export interface LinearLoraTarget {
  module: LayerModule;
  /** null when the graph's layer is the whole module. */
  part: FusedPart | null;
}

/** The builder's canonical linear names (`/model/layers.3/attn/q_proj`) mapped onto the family's PEFT modules; null for the head. */
export function linearLoraTarget(spec: ModelSpec, graphName: string): LinearLoraTarget | null {
  const match = /^\/model\/layers\.(\d+)\/(attn|mlp)\/(\w+)_proj$/.exec(graphName);
  if (!match) return null;
  const layer = Number(match[1]);
  const canonical = match[3];
  const modules = layerModules(spec, layer);
  const { numHeads, numKvHeads, headDim } = spec.attention;
  const qkv = ['q', 'k', 'v'].indexOf(canonical) as -1 | 0 | 1 | 2;
  const stackedQkv = (): FusedPart => {
    const sizes = [numHeads * headDim, numKvHeads * headDim, numKvHeads * headDim];
    return { kind: 'rows', start: sizes.slice(0, qkv).reduce((sum, size) => sum + size, 0), size: sizes[qkv] };
  };
  const named = (index: number, part: FusedPart | null = null): LinearLoraTarget => ({ module: modules[index], part });
  switch (spec.architecture) {
    case 'phi3': {
      const inner = spec.mlp.intermediateSize;
      if (qkv >= 0) return named(0, stackedQkv());
      if (canonical === 'gate' || canonical === 'up') return named(2, { kind: 'rows', start: canonical === 'gate' ? 0 : inner, size: inner });
      return named(canonical === 'o' ? 1 : 3);
    }
    case 'gpt2':
    case 'mpt':
      if (qkv >= 0) return named(0, stackedQkv());
      return named({ o: 1, up: 2, down: 3 }[canonical] ?? -1);
    case 'gpt_neox':
    case 'bloom':
      if (qkv >= 0) return named(0, { kind: 'heads', numHeads, headDim, index: qkv as 0 | 1 | 2 });
      return named({ o: 1, up: 2, down: 3 }[canonical] ?? -1);
    default: {
      const index = modules.findIndex((m) => m.module === `${canonical}_proj`);
      return index < 0 ? null : named(index);
    }
  }
}

/** Every targeted module path of a model, in layer order then module order. */
export function targetModulePaths(spec: ModelSpec, modules: readonly LoraModuleName[]): string[] {
  return targetLayerModules(spec, modules).map((m) => m.path);
}

/** Every targeted linear layer of a model, in layer order then module order. */
export function targetLayerModules(spec: ModelSpec, modules: readonly LoraModuleName[]): LayerModule[] {
  const targeted: LayerModule[] = [];
  for (let layer = 0; layer < spec.numLayers; layer++) targeted.push(...layerModules(spec, layer).filter((m) => modules.includes(m.module)));
  return targeted;
}

/** [out, in] of a targeted module's base weight. */
export function moduleWeightShape(spec: ModelSpec, module: LlamaModuleName): [number, number] {
  const { hiddenSize } = spec;
  const { numHeads, numKvHeads, headDim } = spec.attention;
  const intermediate = spec.mlp.intermediateSize;
  switch (module) {
    case 'q_proj':
      return [numHeads * headDim, hiddenSize];
    case 'k_proj':
    case 'v_proj':
      return [numKvHeads * headDim, hiddenSize];
    case 'o_proj':
      return [hiddenSize, numHeads * headDim];
    case 'gate_proj':
    case 'up_proj':
      return [intermediate, hiddenSize];
    case 'down_proj':
      return [hiddenSize, intermediate];
  }
}
