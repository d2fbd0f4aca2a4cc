// Builds the LoRA training graph of a model: the inference builder's own embedding, decoder
// layers and head, recorded on a tape with reference (decomposed) attention and a LoRA path on
// each targeted linear layer, then the causal-LM loss, then (for training) the gradient of the
// loss with respect to every LoRA matrix. The base weights are frozen float32 initializers.
//
// Inputs:  input_ids, attention_mask, position_ids, labels   int64 [batch, sequence]
//          <module>.lora_A.weight [r, in], <module>.lora_B.weight [out, r]   float32
//          <module>.lora_dropout_mask [batch·sequence, in]   (only with dropout)
//          ref_logps [batch], beta []   float32   (only with the DPO objective)
// Outputs: loss (mean NLL over scored positions, or DPO's loss), row_nll [batch], row_tokens [batch],
//          grad.<module>.lora_A.weight, grad.<module>.lora_B.weight   (training graphs only)
import type { ModelSource } from '../engine/architectures/model-source.ts';
import { BuildContext } from '../engine/builder/build-context.ts';
import { emitDecoderLayer, emitEmbeddings, emitLogits } from '../engine/builder/build-model.ts';
import { emitNorm, loadNorm } from '../engine/builder/norm.ts';
import { SharedValues } from '../engine/builder/shared-values.ts';
import { ATTENTION_MASK, INPUT_IDS, POSITION_IDS, pastKeyName, pastValueName } from '../engine/graph-io.ts';
import { DataType } from '../engine/onnx/graph.ts';
import { GraphBuilder } from '../engine/onnx/graph-builder.ts';
import { emitCausalLmLoss } from './causal-lm-loss.ts';
import { differentiate, type RecomputeSegment } from './differentiate.ts';
import { emitDpoLoss } from './dpo-loss.ts';
import { loraLinearPath, type LoraGraphInputs } from './lora-linear-path.ts';
import { checkLoraArchitecture } from './lora-targets.ts';
import { TapeGraph } from './tape-graph.ts';
import type { BaseDtype } from '../common/contracts/jobs.ts';
import { recomputesByDefault } from '../engine/memory-plan/training-memory-plan.ts';

export const LABELS = 'labels';
export const LOSS = 'loss';
export const ROW_NLL = 'row_nll';
export const ROW_TOKENS = 'row_tokens';
export const gradName = (parameter: string): string => `grad.${parameter}`;

export interface TrainingGraphOptions {
  /** LoRA rank; ignored when there are no targets. */
  r: number;
  /** alpha / r. */
  scaling: number;
  /** Module paths given a LoRA path; empty for a plain evaluation graph of the base model. */
  targets: readonly string[];
  /** Whether each LoRA path takes a dropout mask input. */
  dropout: boolean;
  /** Append the backward pass (otherwise the graph computes the loss only). */
  gradients: boolean;
  /**
   * The frozen base's precision (default fp32): int8/int4 pack the base weights as the inference
   * builds do (MatMulNBits, blockwise) and run its quantized kernels; vjp-quantized.ts carries the
   * gradient back through them. fp16 is refused here (see checkBaseDtype).
   */
  baseDtype?: BaseDtype;
  /**
   * Recompute each decoder layer in the backward instead of keeping its activations (gradient
   * checkpointing, differentiate.ts' RecomputeSegment): about a third more compute, and meant to
   * hold one layer's activations at a time; the gradients are bit-identical. By default on for a
   * model whose layers are large (recomputesByDefault): measured on the Qwen2.5-0.5B shape (int4
   * base, 1 × 256 tokens) a step's peak RSS fell from 3.3 to 2.0 GB.
   */
  recompute?: boolean;
  /**
   * 'dpo': `loss` is DPO's sigmoid loss over a batch of chosen rows then rejected rows (inputs
   * ref_logps and beta, see dpo-loss.ts), and the gradients are its; default: the causal-LM mean NLL.
   */
  objective?: 'causal-lm' | 'dpo';
}

export interface TrainingGraph {
  graphPath: string;
  /** LoRA inputs in declaration order. */
  parameters: LoraGraphInputs['parameters'];
  dropoutMasks: LoraGraphInputs['dropoutMasks'];
  /** Nodes recorded (forward, loss and backward) before unused ones are dropped. */
  nodeCount: number;
}

/** Records the forward pass and loss (and gradients) on a tape; see writeTrainingGraph. */
export async function recordTrainingGraph(source: Pick<ModelSource, 'spec' | 'weight'>, options: TrainingGraphOptions): Promise<{ tape: TapeGraph; declared: LoraGraphInputs }> {
  const { spec } = source;
  if (options.targets.length > 0) checkLoraArchitecture(spec);
  const g = new TapeGraph();
  const baseDtype = checkBaseDtype(options.baseDtype ?? 'fp32');
  // int8 as MatMulNBits ('blockwise'): the dynamic int8 kernels quantize activations, which have no gradient rule.
  const ctx = new BuildContext(g, spec, baseDtype, 'reference', 'blockwise', (name) => source.weight(name));
  const shared = new SharedValues(ctx);
  const declared: LoraGraphInputs = { parameters: [], dropoutMasks: [] };
  ctx.linearExtension = loraLinearPath(g, { spec, r: options.r, scaling: options.scaling, targets: new Set(options.targets), dropout: options.dropout }, declared);

  g.input(INPUT_IDS, DataType.INT64, ['batch_size', 'sequence_length']);
  g.input(ATTENTION_MASK, DataType.INT64, ['batch_size', 'sequence_length']);
  g.input(POSITION_IDS, DataType.INT64, ['batch_size', 'sequence_length']);
  const labels = g.input(LABELS, DataType.INT64, ['batch_size', 'sequence_length']);
  // A training pass has no KV cache: the reference attention's Concat(past, new) keeps only the new keys.
  for (let i = 0; i < spec.numLayers; i++) {
    g.markEmpty(pastKeyName(i));
    g.markEmpty(pastValueName(i));
  }

  let hidden = await emitEmbeddings(ctx);
  const layers: RecomputeSegment[] = [];
  for (let i = 0; i < spec.numLayers; i++) {
    const start = g.nodes.length;
    const input = hidden;
    hidden = await emitDecoderLayer(ctx, shared, i, hidden);
    layers.push({ start, end: g.nodes.length, input, output: hidden });
  }
  hidden = emitNorm(ctx, hidden, '/model/norm', await loadNorm(ctx, 'finalNorm.weight', 'finalNorm.bias'));
  const logits = await emitLogits(ctx, hidden);
  const loss = emitCausalLmLoss(g, logits, labels);

  const objective = options.objective === 'dpo' ? emitDpoLoss(g, loss.rowSums) : loss.mean;
  g.output(LOSS, DataType.FLOAT, [], objective);
  g.output(ROW_NLL, DataType.FLOAT, ['batch_size'], loss.rowSums);
  g.output(ROW_TOKENS, DataType.FLOAT, ['batch_size'], loss.rowCounts);
  if (options.gradients) {
    if (declared.parameters.length === 0) throw new Error('A training graph needs at least one LoRA target.');
    const grads = differentiate(g, objective, declared.parameters.map((p) => p.name), (options.recompute ?? recomputesByDefault(spec)) ? layers : []);
    for (const p of declared.parameters) g.output(gradName(p.name), DataType.FLOAT, p.shape, grads.get(p.name)!);
  }
  return { tape: g, declared };
}

/** A base precision the training graphs can build: fp16 needs a float16 graph (activations, LoRA casts), not built yet. */
export function checkBaseDtype(baseDtype: BaseDtype): Exclude<BaseDtype, 'fp16'> {
  if (baseDtype === 'fp16') throw new BaseDtypeError('A float16 base is not supported by the trainer yet: use --base-dtype int8 or int4 for a smaller base (or fp32).');
  return baseDtype;
}

export class BaseDtypeError extends Error {
  override name = 'BaseDtypeError';
}

/** Writes the graph as `<dir>/<file>` (+ `.data`) for onnxruntime. */
export async function writeTrainingGraph(source: Pick<ModelSource, 'spec' | 'weight'>, dir: string, file: string, options: TrainingGraphOptions): Promise<TrainingGraph> {
  const { tape, declared } = await recordTrainingGraph(source, options);
  const builder = new GraphBuilder({ dir, graphFile: file, dataFile: `${file}.data`, graphName: `hearth-lora-${source.spec.architecture}` });
  tape.writeTo(builder);
  const { graphPath } = builder.finish();
  return { graphPath, parameters: declared.parameters, dropoutMasks: declared.dropoutMasks, nodeCount: tape.nodes.length };
}
