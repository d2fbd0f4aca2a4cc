// Opens a built model folder (model.onnx, its external data and hearth.json) as an
// onnxruntime InferenceSession. The manifest is read first and validated, so a missing, old or
// half-written build fails with a message that names the folder instead of an ORT error deep
// in a protobuf parser.
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InferenceSession } from 'onnxruntime-node';
import { MANIFEST_FILE, MANIFEST_FORMAT, ModelManifestSchema } from '../../common/model-manifest.ts';
import type { ModelManifest } from '../../common/model-manifest.ts';
import type { ModelSpec } from '../../common/model-spec.ts';
import { LOGITS, presentKeyName, presentValueName } from '../graph-io.ts';
import { deriveInt8PromptGraph } from './int8-prompt-graph.ts';

export type ExecutionProvider = 'cpu' | 'webgpu';

export interface OpenModelOptions {
  /** Default 'cpu'. 'webgpu' never falls back to the CPU: it works fully or throws. */
  executionProvider?: ExecutionProvider;
  /** Intra-op threads; default: ORT's choice (one per physical core). */
  threads?: number;
  /** ORT log severity: 0 verbose ... 4 fatal. Default 3 (errors only). */
  logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
  /**
   * CPU int4 builds without a prefill graph on disk: derive an int8 prompt graph in memory at
   * load (int8-prompt-graph.ts) and run prompts on it. Costs load time and about one byte per
   * converted weight of memory. Default false.
   */
  int8PromptGraph?: boolean;
}

/** The folder does not hold a usable build: missing files, an older format, or a corrupt manifest. */
export class ModelLoadError extends Error {
  override name = 'ModelLoadError';
}

/** The WebGPU execution provider could not start (no adapter, driver, unsupported op...). */
export class ExecutionProviderError extends Error {
  override name = 'ExecutionProviderError';
}

export interface LoadedModel {
  readonly dir: string;
  readonly manifest: ModelManifest;
  readonly spec: ModelSpec;
  readonly session: InferenceSession;
  /**
   * The int8 graph of an int4 build made with a prefill graph, used for calls of at least
   * PREFILL_GRAPH_MIN_TOKENS tokens; null otherwise. It shares the KV cache with `session`.
   */
  readonly prefillSession: InferenceSession | null;
  readonly executionProvider: ExecutionProvider;
  /** Where the session leaves present.* outputs: on the GPU for webgpu, else in CPU memory. */
  readonly kvLocation: 'cpu' | 'gpu-buffer';
  release(): Promise<void>;
}

const REBUILD_ADVICE = 'Rebuild the model from its Hugging Face folder (hearth build) to fix this.';

export async function readManifest(dir: string): Promise<ModelManifest> {
  const path = join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ModelLoadError(`${dir} is not a built model: ${MANIFEST_FILE} is missing (the build never finished, or this is a source folder). ${REBUILD_ADVICE}`);
    }
    throw new ModelLoadError(`Cannot read ${path}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ModelLoadError(`${path} is corrupt (not valid JSON: ${(error as Error).message}). ${REBUILD_ADVICE}`);
  }
  const format = (json as { format?: unknown } | null)?.format;
  if (format !== MANIFEST_FORMAT) {
    throw new ModelLoadError(`${dir} was built in manifest format ${String(format)}; this version of Hearth reads format ${MANIFEST_FORMAT}. ${REBUILD_ADVICE}`);
  }
  const parsed = ModelManifestSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.slice(0, 5).map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new ModelLoadError(`${path} does not match the manifest schema (${problems.join('; ')}). ${REBUILD_ADVICE}`);
  }
  return parsed.data;
}

async function requireFile(dir: string, file: string): Promise<string> {
  const path = join(dir, file);
  try {
    await stat(path);
  } catch {
    throw new ModelLoadError(`${dir} is incomplete: ${file} named in ${MANIFEST_FILE} is missing. ${REBUILD_ADVICE}`);
  }
  return path;
}

function sessionOptions(spec: ModelSpec, options: OpenModelOptions): InferenceSession.SessionOptions {
  const provider = options.executionProvider ?? 'cpu';
  const base: InferenceSession.SessionOptions = {
    executionProviders: [provider],
    graphOptimizationLevel: 'all',
    logSeverityLevel: options.logSeverityLevel ?? 3,
  };
  if (options.threads !== undefined) base.intraOpNumThreads = options.threads;
  if (provider === 'cpu') return base;
  // The KV cache stays on the GPU between steps; logits come back to the CPU for sampling
  // (getData() on gpu-buffer tensors is not implemented in the Node binding).
  const outputLocations: Record<string, 'cpu' | 'gpu-buffer'> = { [LOGITS]: 'cpu' };
  for (let i = 0; i < spec.numLayers; i++) {
    outputLocations[presentKeyName(i)] = 'gpu-buffer';
    outputLocations[presentValueName(i)] = 'gpu-buffer';
  }
  return {
    ...base,
    // CPU fallback stays allowed: onnxruntime always places the small int64 shape arithmetic
    // (Shape, Gather, Range on sequence lengths) on the CPU, and forbidding it refuses every
    // decoder graph (seen with onnxruntime-node 1.30's WebGPU provider on an NVIDIA H200). A
    // provider that cannot start still fails loudly below.
    preferredOutputLocation: outputLocations,
  };
}

export async function openModel(dir: string, options: OpenModelOptions = {}): Promise<LoadedModel> {
  const manifest = await readManifest(dir);
  const graphPath = await requireFile(dir, manifest.graphFile);
  await requireFile(dir, manifest.dataFile);
  const executionProvider = options.executionProvider ?? 'cpu';
  const prefillPath = manifest.prefillGraphFile !== null && executionProvider === 'cpu' ? await requireFile(dir, manifest.prefillGraphFile) : null;
  let session: InferenceSession;
  let prefillSession: InferenceSession | null = null;
  try {
    // By path, so ORT finds the external data beside the graph and maps it.
    session = await InferenceSession.create(graphPath, sessionOptions(manifest.spec, options));
    // Its threads must not spin after a prompt: they would steal the cores from decoding.
    const noSpinning = { intra_op: { allow_spinning: '0' } };
    if (prefillPath) {
      const prefillOptions = { ...sessionOptions(manifest.spec, options), extra: { session: noSpinning } };
      prefillSession = await InferenceSession.create(prefillPath, prefillOptions);
    } else if (options.int8PromptGraph === true && executionProvider === 'cpu' && manifest.precision === 'int4') {
      const derived = deriveInt8PromptGraph(await readFile(graphPath), dir, { skipOutputFeatures: manifest.spec.vocabSize });
      if (derived) {
        // From bytes, so onnxruntime is told where the build's data file is.
        const extra = { session: { ...noSpinning, model_external_initializers_file_folder_path: dir } };
        prefillSession = await InferenceSession.create(derived.bytes, { ...sessionOptions(manifest.spec, options), extra });
      }
    }
  } catch (error) {
    const reason = (error as Error).message;
    if (executionProvider === 'webgpu') {
      throw new ExecutionProviderError(
        `The WebGPU execution provider could not start for ${dir}: ${reason}. ` +
          'Check that a GPU with Vulkan (Linux), D3D12 (Windows) or Metal (macOS) drivers is present, or use the CPU.',
      );
    }
    throw new ModelLoadError(`onnxruntime could not load ${graphPath}: ${reason}. ${REBUILD_ADVICE}`);
  }
  return {
    dir,
    manifest,
    spec: manifest.spec,
    session,
    prefillSession,
    executionProvider,
    kvLocation: executionProvider === 'webgpu' ? 'gpu-buffer' : 'cpu',
    release: async () => {
      await session.release();
      await prefillSession?.release();
    },
  };
}
