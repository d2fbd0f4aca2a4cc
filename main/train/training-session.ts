// Runs a written training graph with onnxruntime: one call gives the loss and, for a training
// graph, the gradient of every LoRA matrix. Batches are right-padded token rows; positions
// count from 0 in each row, as Hugging Face numbers them in a training forward pass.
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { ATTENTION_MASK, INPUT_IDS, POSITION_IDS } from '../engine/graph-io.ts';
import { collectGarbage } from '../engine/runtime/collect-garbage.ts';
import { BETA, REF_LOGPS } from './dpo-loss.ts';
import { gradName, LABELS, LOSS, ROW_NLL, ROW_TOKENS, type TrainingGraph } from './training-graph.ts';

export interface TokenBatch {
  rows: number;
  length: number;
  /** [rows · length], right-padded. */
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  /** −100 where not scored (prompt, padding). */
  labels: BigInt64Array;
}

export interface GraphRunResult {
  loss: number;
  rowNll: Float32Array;
  rowTokens: Float32Array;
  /** Per LoRA parameter name; empty for an evaluation graph. */
  grads: Map<string, Float32Array>;
}

/** The extra inputs of a DPO graph: rows are the chosen completions, then the rejected ones. */
export interface PreferenceFeeds {
  refLogps: Float32Array;
  beta: number;
}

export interface TrainingSessionOptions {
  threads?: number;
  /** 'webgpu' runs the graph on the GPU where onnxruntime-node has it; default 'cpu'. */
  executionProvider?: 'cpu' | 'webgpu';
  /** With webgpu: whether nodes the GPU provider lacks may run on the CPU (default true). */
  allowCpuFallback?: boolean;
  /** Let idle onnxruntime threads spin between kernels (default true; see open()). */
  spinning?: boolean;
}

export class TrainingSession {
  private constructor(
    readonly graph: TrainingGraph,
    private readonly session: InferenceSession,
  ) {}

  static async open(graph: TrainingGraph, options: TrainingSessionOptions = {}): Promise<TrainingSession> {
    const sessionOptions: InferenceSession.SessionOptions = {
      executionProviders: [options.executionProvider ?? 'cpu'],
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
      // A training step's tensors are large and short-lived. With onnxruntime's arena and memory
      // pattern, the second run allocated the planned pattern beside the first run's arena chunks,
      // which the arena never returns: the peak doubled (4.7 → 7.8 GB on the Qwen2.5-0.5B shape,
      // int4 base, 256 tokens). Without them every tensor is its own allocation, freed when done.
      enableCpuMemArena: false,
      enableMemPattern: false,
    };
    if (options.threads !== undefined) sessionOptions.intraOpNumThreads = options.threads;
    // Spinning idle threads (onnxruntime's default) suit a quiet machine: 3,700 against 3,100
    // tokens/s on shakespeare-5m with 2 threads, measured on a 2-vCPU x86-64 cloud VM. With a
    // core busy elsewhere they halve the speed instead (1,500 against 2,900), so a busy host
    // should pass spinning: false.
    const intraOp = { allow_spinning: options.spinning === false ? '0' : '1' };
    // onnxruntime places shape arithmetic on the CPU by design, and a few ops (LogSoftmax, some
    // Gathers) have no WebGPU kernel, so strictness is opt-in: measured on an NVIDIA H200 (WebGPU
    // provider, onnxruntime-node 1.30), the graph ran with 131 of 1,500 nodes on the CPU and
    // matched the CPU provider to 2e-6.
    const strict = options.executionProvider === 'webgpu' && options.allowCpuFallback === false;
    sessionOptions.extra = { session: { intra_op: intraOp, ...(strict ? { disable_cpu_ep_fallback: '1' } : {}) } };
    // The recorded graph's weights are garbage by now: freed before onnxruntime loads its own copy.
    await collectGarbage();
    return new TrainingSession(graph, await InferenceSession.create(graph.graphPath, sessionOptions));
  }

  get hasGradients(): boolean {
    return this.session.outputNames.some((name) => name.startsWith('grad.'));
  }

  /**
   * `parameters` holds every LoRA input by name; `dropoutMasks` every mask input, when the graph has
   * them; `preference` the reference log-probabilities (one per row) and β of a DPO graph.
   */
  async run(batch: TokenBatch, parameters: ReadonlyMap<string, Float32Array>, dropoutMasks?: ReadonlyMap<string, Float32Array>, preference?: PreferenceFeeds): Promise<GraphRunResult> {
    const dims = [batch.rows, batch.length];
    const positions = new BigInt64Array(batch.rows * batch.length);
    for (let i = 0; i < positions.length; i++) positions[i] = BigInt(i % batch.length);
    const feeds: Record<string, Tensor> = {
      [INPUT_IDS]: new Tensor('int64', batch.inputIds, dims),
      [ATTENTION_MASK]: new Tensor('int64', batch.attentionMask, dims),
      [POSITION_IDS]: new Tensor('int64', positions, dims),
      [LABELS]: new Tensor('int64', batch.labels, dims),
    };
    for (const p of this.graph.parameters) {
      const data = parameters.get(p.name);
      if (!data) throw new Error(`No value given for the LoRA input ${p.name}.`);
      feeds[p.name] = new Tensor('float32', data, p.shape);
    }
    for (const m of this.graph.dropoutMasks) {
      const data = dropoutMasks?.get(m.name);
      if (!data) throw new Error(`No dropout mask given for ${m.name}.`);
      feeds[m.name] = new Tensor('float32', data, [batch.rows * batch.length, m.inFeatures]);
    }
    if (this.session.inputNames.includes(REF_LOGPS)) {
      if (!preference || preference.refLogps.length !== batch.rows) throw new Error(`A DPO graph needs one reference log-probability per row (${batch.rows}) and beta.`);
      feeds[REF_LOGPS] = new Tensor('float32', preference.refLogps, [batch.rows]);
      feeds[BETA] = new Tensor('float32', new Float32Array([preference.beta]), []);
    }
    const outputs = await this.session.run(feeds);
    const grads = new Map<string, Float32Array>();
    for (const p of this.graph.parameters) {
      const grad = outputs[gradName(p.name)];
      if (grad) grads.set(p.name, grad.data as Float32Array);
    }
    return {
      loss: (outputs[LOSS].data as Float32Array)[0],
      rowNll: outputs[ROW_NLL].data as Float32Array,
      rowTokens: outputs[ROW_TOKENS].data as Float32Array,
      grads,
    };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
