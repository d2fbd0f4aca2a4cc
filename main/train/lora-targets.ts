// Which linear layers get a LoRA path, named as PEFT names them. The graph builder names a layer
// `/model/layers.3/attn/q_proj`; Hugging Face (and so PEFT) calls the same module
// `model.layers.3.self_attn.q_proj`. Only architectures whose Hugging Face modules have these
// unfused llama-style names are supported, so adapters stay interchangeable with PEFT.
import type { Architecture, ModelSpec } from '../common/model-spec.ts';

export const ATTENTION_MODULES = ['q_proj', 'k_proj', 'v_proj', 'o_proj'] as const;
export const MLP_MODULES = ['gate_proj', 'up_proj', 'down_proj'] as const;
export type LoraModuleName = (typeof ATTENTION_MODULES)[number] | (typeof MLP_MODULES)[number];
export const LORA_MODULE_NAMES: readonly LoraModuleName[] = [...ATTENTION_MODULES, ...MLP_MODULES];

/** `all-linear` as PEFT means it: every linear layer but the output head. */
export const ALL_LINEAR = 'all-linear';

const LLAMA_STYLE: readonly Architecture[] = ['llama', 'mistral', 'qwen2', 'qwen3', 'gemma'];

/** The target list is wrong, or the model's architecture has no PEFT-compatible layer names here. */
export class LoraTargetError extends Error {
  override name = 'LoraTargetError';
}

export function checkLoraArchitecture(spec: ModelSpec): void {
  if (!LLAMA_STYLE.includes(spec.architecture)) {
    throw new LoraTargetError(
      `LoRA fine-tuning supports ${LLAMA_STYLE.join(', ')} models; this one is ${spec.architecture}, whose Hugging Face layers are named differently (fused or Conv1D), so its adapters would not match PEFT's.`,
    );
  }
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

/** `model.layers.3.self_attn.q_proj` for the builder's `/model/layers.3/attn/q_proj`; null for layers LoRA never targets. */
export function hfModulePath(graphName: string): { path: string; module: LoraModuleName; layer: number } | null {
  const match = /^\/model\/layers\.(\d+)\/(attn|mlp)\/(\w+)$/.exec(graphName);
  if (!match) return null;
  const module = match[3] as LoraModuleName;
  if (!LORA_MODULE_NAMES.includes(module)) return null;
  const layer = Number(match[1]);
  return { path: `model.layers.${layer}.${match[2] === 'attn' ? 'self_attn' : 'mlp'}.${module}`, module, layer };
}

/** Every targeted module path of a model, in layer order then module order. */
export function targetModulePaths(spec: ModelSpec, modules: readonly LoraModuleName[]): string[] {
  const paths: string[] = [];
  for (let layer = 0; layer < spec.numLayers; layer++) {
    for (const module of LORA_MODULE_NAMES) {
      if (!modules.includes(module)) continue;
      const group = (ATTENTION_MODULES as readonly string[]).includes(module) ? 'self_attn' : 'mlp';
      paths.push(`model.layers.${layer}.${group}.${module}`);
    }
  }
  return paths;
}

/** [out, in] of a targeted module's base weight. */
export function moduleWeightShape(spec: ModelSpec, module: LoraModuleName): [number, number] {
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
