// The model a measuring mode of `hearth bench` (speed, second turn) runs: the cached build,
// opened in this process, with what every JSON line reports about it. The RSS before opening is
// kept so the text can say how much of the peak the model itself added.
import { env as ortEnv } from 'onnxruntime-node';
import { builtPrecisionLabel, type AttentionMode, type Precision } from '../../../common/model-manifest.ts';
import type { benchBuildVariant } from '../../../engine/bench/bench-model-cache.ts';
import { openModel, type LoadedModel } from '../../../engine/runtime/model-session.ts';
import { MIB, round } from './bench-figures.ts';

export interface BenchModelConfig {
  dir: string;
  /** The shape's or folder's name, as printed. */
  label: string;
  /** The precision with its kernel and prefill graph, as printed (benchPrecisionLabel). */
  precisionLabel: string;
  precision: Precision;
  attention: AttentionMode;
  /** The int8 kernel and whether there is a prefill graph. */
  variant: ReturnType<typeof benchBuildVariant>;
  threads: number;
  /** int4 on the CPU: derive the int8 prompt graph at load (OpenModelOptions.int8PromptGraph). */
  int8PromptGraph?: boolean;
}

export interface OpenedBenchModel {
  model: LoadedModel;
  dir: string;
  /** "<shape> <precision>, <attention> attention, N threads". */
  describe: string;
  baselineRssMb: number;
  loadMs: number;
  /** The keys every JSON line ends with. */
  common: Record<string, unknown>;
}

export async function openBenchModel(config: BenchModelConfig): Promise<OpenedBenchModel> {
  const baselineRssMb = process.memoryUsage().rss / MIB;
  const loadStarted = performance.now();
  const model = await openModel(config.dir, { threads: config.threads, int8PromptGraph: config.int8PromptGraph === true });
  const loadMs = performance.now() - loadStarted;
  const { threads } = config;
  return {
    model,
    dir: config.dir,
    describe: `${config.label} ${config.precisionLabel}, ${config.attention} attention, ${threads} thread${threads === 1 ? '' : 's'}`,
    baselineRssMb,
    loadMs,
    common: {
      shape: config.label,
      // A GGUF file built as downloaded is its own type ("Q4_K_M (as downloaded)"), not a Hearth precision.
      dtype: builtPrecisionLabel({ precision: config.precision, sourceFormat: model.manifest.sourceFormat }),
      int8_kernel: config.variant.int8Kernel,
      prefill_graph: config.variant.prefillGraph,
      int8_prompt_graph: config.int8PromptGraph === true && model.prefillSession !== null,
      attention: config.attention,
      threads,
      baseline_rss_mb: round(baselineRssMb),
      load_ms: round(loadMs),
      onnxruntime: ortEnv.versions.node,
    },
  };
}
