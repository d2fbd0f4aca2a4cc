// A Hugging Face checkpoint folder of random weights at a benchmark shape, as the build benchmark
// needs one: `hearth build <hf-dir>` is timed on it exactly as on a downloaded model. The weights
// are random-weights.ts' (norm scales 1, small biases), stored as BF16 like Qwen2.5's release, with
// the config.json a llama-family model of that spec ships with. Written once into the bench cache
// (see writeRandomCheckpoint's stamp); about 1 GB at the Qwen2.5-0.5B shape.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelSpec, WeightName } from '../../common/model-spec.ts';
import { float32ToBfloat16Bits } from '../checkpoint/float16.ts';
import { writeSafetensors, type TensorToWrite } from '../checkpoint/safetensors-writer.ts';
import { randomWeightSource } from './random-weights.ts';

const STAMP_FILE = 'random-checkpoint-stamp.json';
/** Raised when what writeRandomCheckpoint writes changes, so cached folders are written again. */
const FORMAT_VERSION = 1;

/** The Hugging Face classes of the architectures written here (the llama family's layout). */
const HF_CLASSES: Partial<Record<ModelSpec['architecture'], string>> = { qwen2: 'Qwen2ForCausalLM', llama: 'LlamaForCausalLM' };

/** The checkpoint names of a llama-family model's weights, with the builder's names for them. */
function checkpointNames(spec: ModelSpec): [WeightName, string][] {
  const names: [WeightName, string][] = [['embed', 'model.embed_tokens.weight'], ['finalNorm.weight', 'model.norm.weight']];
  if (!spec.tiedEmbeddings) names.push(['lmHead', 'lm_head.weight']);
  for (let i = 0; i < spec.numLayers; i++) {
    const p = `model.layers.${i}`;
    names.push([`layers.${i}.attnNorm.weight`, `${p}.input_layernorm.weight`], [`layers.${i}.mlpNorm.weight`, `${p}.post_attention_layernorm.weight`]);
    for (const [ours, theirs] of [['q', 'q_proj'], ['k', 'k_proj'], ['v', 'v_proj'], ['o', 'o_proj']] as const) {
      names.push([`layers.${i}.${ours}.weight`, `${p}.self_attn.${theirs}.weight`]);
      if (ours !== 'o' && spec.attention.qkvBias) names.push([`layers.${i}.${ours}.bias`, `${p}.self_attn.${theirs}.bias`]);
    }
    for (const [ours, theirs] of [['gate', 'gate_proj'], ['up', 'up_proj'], ['down', 'down_proj']] as const) names.push([`layers.${i}.${ours}.weight`, `${p}.mlp.${theirs}.weight`]);
  }
  return names;
}

function hfConfig(spec: ModelSpec, architectureClass: string): Record<string, unknown> {
  if (spec.positions.kind !== 'rope' || spec.mlp.kind !== 'gated' || spec.norm.kind !== 'rms') throw new Error(`random checkpoint: ${spec.architecture} is not laid out as the llama family`);
  return {
    architectures: [architectureClass],
    model_type: spec.architecture,
    hidden_act: spec.mlp.activation,
    hidden_size: spec.hiddenSize,
    intermediate_size: spec.mlp.intermediateSize,
    max_position_embeddings: spec.contextLength,
    num_attention_heads: spec.attention.numHeads,
    num_hidden_layers: spec.numLayers,
    num_key_value_heads: spec.attention.numKvHeads,
    head_dim: spec.attention.headDim,
    rms_norm_eps: spec.norm.eps,
    rope_theta: spec.positions.theta,
    tie_word_embeddings: spec.tiedEmbeddings,
    vocab_size: spec.vocabSize,
    eos_token_id: spec.eosTokenIds[0] ?? null,
    torch_dtype: 'bfloat16',
    use_sliding_window: false,
  };
}

async function stampOf(spec: ModelSpec): Promise<string> {
  const hash = createHash('sha256').update(JSON.stringify({ spec, FORMAT_VERSION }));
  hash.update(await readFile(new URL('./random-weights.ts', import.meta.url)).catch(() => Buffer.alloc(0)));
  return hash.digest('hex');
}

/** Whether `dir` holds the random checkpoint of `spec`, written by the current code. */
export async function isRandomCheckpointCurrent(spec: ModelSpec, dir: string): Promise<boolean> {
  if (!existsSync(join(dir, STAMP_FILE))) return false;
  return (await readFile(join(dir, STAMP_FILE), 'utf8').catch(() => '')).trim() === (await stampOf(spec));
}

/**
 * Writes config.json and model.safetensors (BF16) of random weights at `spec` into `dir`, unless
 * it holds them already. Only llama-family shapes (qwen2, llama) can be written.
 */
export async function writeRandomCheckpoint(spec: ModelSpec, dir: string): Promise<void> {
  if (await isRandomCheckpointCurrent(spec, dir)) return;
  const architectureClass = HF_CLASSES[spec.architecture];
  if (!architectureClass) throw new Error(`A random checkpoint can be written for ${Object.keys(HF_CLASSES).join(' and ')} shapes, not ${spec.architecture}.`);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const source = randomWeightSource(spec);
  const tensors: Record<string, TensorToWrite> = {};
  for (const [ours, theirs] of checkpointNames(spec)) {
    const weight = await source.weight(ours);
    if (!weight) throw new Error(`random checkpoint: no ${ours} weight at this shape`);
    // Rounded now, so that only the BF16 copies are held until the file is written.
    tensors[theirs] = { dtype: 'BF16', shape: weight.shape, data: float32ToBfloat16Bits(weight.data) };
  }
  await writeFile(join(dir, 'config.json'), JSON.stringify(hfConfig(spec, architectureClass), null, 2) + '\n');
  await writeSafetensors(join(dir, 'model.safetensors'), tensors, { format: 'pt' });
  await writeFile(join(dir, STAMP_FILE), (await stampOf(spec)) + '\n');
}
