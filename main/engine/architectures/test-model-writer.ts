// Test support: writes a small Hugging Face-style model folder (config.json, optional
// generation_config.json, model.safetensors) with distinct, deterministic values in every tensor,
// so tests can check that loaders pick, split and transpose the right numbers.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { F32Tensor } from '../../common/model-spec.ts';
import { writeSafetensors, type TensorToWrite } from '../checkpoint/safetensors-writer.ts';

export interface TestModel {
  config: Record<string, unknown>;
  generationConfig?: Record<string, unknown>;
  /** Tensor names and shapes, as the architecture's checkpoints name them. */
  tensors: Record<string, number[]>;
}

/** Values that differ in every element and every tensor (seed = the tensor's index). */
export function patternTensor(shape: number[], seed: number): F32Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const data = Float32Array.from({ length: size }, (_, i) => Math.sin(seed * 7919 + i * 0.37) + seed * 1e-3);
  return { data, shape: [...shape] };
}

export async function writeTestModel(dir: string, model: TestModel): Promise<Record<string, F32Tensor>> {
  await writeFile(join(dir, 'config.json'), JSON.stringify(model.config, null, 2));
  if (model.generationConfig) await writeFile(join(dir, 'generation_config.json'), JSON.stringify(model.generationConfig));
  const written: Record<string, F32Tensor> = {};
  const toWrite: Record<string, TensorToWrite> = {};
  Object.entries(model.tensors).forEach(([name, shape], i) => {
    written[name] = patternTensor(shape, i + 1);
    toWrite[name] = { dtype: 'F32', shape, data: written[name].data };
  });
  await writeSafetensors(join(dir, 'model.safetensors'), toWrite, { format: 'pt' });
  return written;
}

export interface LlamaFamilySizes {
  vocab: number;
  hidden: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  intermediate: number;
  layers: number;
  qkvBias?: boolean;
  qkNorm?: boolean;
  /** Phi-3 layout: qkv_proj and gate_up_proj. */
  fused?: boolean;
  tied?: boolean;
}

/** The tensor names and shapes a llama-family model of these sizes saves (with the model. prefix). */
export function llamaFamilyTensorShapes(s: LlamaFamilySizes): Record<string, number[]> {
  const q = s.heads * s.headDim;
  const kv = s.kvHeads * s.headDim;
  const shapes: Record<string, number[]> = { 'model.embed_tokens.weight': [s.vocab, s.hidden], 'model.norm.weight': [s.hidden] };
  if (!s.tied) shapes['lm_head.weight'] = [s.vocab, s.hidden];
  for (let i = 0; i < s.layers; i++) {
    const p = `model.layers.${i}.`;
    shapes[`${p}input_layernorm.weight`] = [s.hidden];
    shapes[`${p}post_attention_layernorm.weight`] = [s.hidden];
    shapes[`${p}self_attn.o_proj.weight`] = [s.hidden, q];
    shapes[`${p}mlp.down_proj.weight`] = [s.hidden, s.intermediate];
    if (s.fused) {
      shapes[`${p}self_attn.qkv_proj.weight`] = [q + 2 * kv, s.hidden];
      shapes[`${p}mlp.gate_up_proj.weight`] = [2 * s.intermediate, s.hidden];
    } else {
      shapes[`${p}self_attn.q_proj.weight`] = [q, s.hidden];
      shapes[`${p}self_attn.k_proj.weight`] = [kv, s.hidden];
      shapes[`${p}self_attn.v_proj.weight`] = [kv, s.hidden];
      shapes[`${p}mlp.gate_proj.weight`] = [s.intermediate, s.hidden];
      shapes[`${p}mlp.up_proj.weight`] = [s.intermediate, s.hidden];
    }
    if (s.qkvBias) {
      shapes[`${p}self_attn.q_proj.bias`] = [q];
      shapes[`${p}self_attn.k_proj.bias`] = [kv];
      shapes[`${p}self_attn.v_proj.bias`] = [kv];
    }
    if (s.qkNorm) {
      shapes[`${p}self_attn.q_norm.weight`] = [s.headDim];
      shapes[`${p}self_attn.k_norm.weight`] = [s.headDim];
    }
  }
  return shapes;
}
