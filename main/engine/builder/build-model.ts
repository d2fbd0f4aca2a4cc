// Builds an onnxruntime graph from a Hugging Face checkpoint folder: the graph (model.onnx),
// its weights as external data, hearth.json, and the tokenizer files the runtime needs.
import { copyFile, mkdir, writeFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { F32Tensor } from '../../common/model-spec.ts';
import { MANIFEST_FILE, MANIFEST_FORMAT, type AttentionMode, type Int8Kernel, type ModelManifest, type Precision } from '../../common/model-manifest.ts';
import { openModelSource, type ModelSource } from '../architectures/model-source.ts';
import { ggmlBlocksOf, isStoredAsF16 } from '../gguf/ggml-block-weight.ts';
import { emitGgmlEmbedding, ggmlTableIn } from '../gguf/ggml-embedding.ts';
import { emitGgmlMatMulNBits } from '../gguf/ggml-linear.ts';
import { ggmlToMatMulNBits } from '../gguf/ggml-matmul-nbits.ts';
import { readGgufHeader } from '../gguf/gguf-file.ts';
import { isGgufPath, openGgufModelSource } from '../gguf/gguf-model-source.ts';
import { asDownloadedPrecision, ggufSourceFormat } from '../gguf/gguf-source-format.ts';
import { tokenizerFromGgufMetadata, writeGgufTokenizerFiles } from '../gguf/gguf-tokenizer.ts';
import { attr, DataType } from '../onnx/graph.ts';
import { GraphBuilder } from '../onnx/graph-builder.ts';
import {
  ATTENTION_MASK,
  INPUT_IDS,
  LOGITS,
  NUM_LOGITS_TO_KEEP,
  POSITION_IDS,
  pastKeyName,
  pastValueName,
  presentKeyName,
  presentValueName,
} from '../graph-io.ts';
import { emitAttention } from './attention.ts';
import { BuildContext } from './build-context.ts';
import { CPU_ACCURACY_LEVEL, emitLinear, keptFloatInitializer } from './linear.ts';
import { emitMlp } from './mlp.ts';
import { TOKEN_TABLE_BITS } from './quant-recipe.ts';
import { canQuantizeTokenTable, emitQuantizedTokenLookup, emitTiedQuantizedHead, quantizedTokenTableIn } from './quantized-token-table.ts';
import { emitNorm, loadNorm } from './norm.ts';
import { SharedValues } from './shared-values.ts';
import { hashModelSource } from './source-hash.ts';

/** Raised whenever the graphs it writes change, so cached builds are made again. */
export const BUILDER_VERSION = '6';
export const GRAPH_FILE = 'model.onnx';
export const DATA_FILE = 'model.onnx.data';
/** int4 builds may add an int8 graph for prompts: see BuildOptions.prefillGraph. */
export const PREFILL_GRAPH_FILE = 'prefill.onnx';
export const PREFILL_DATA_FILE = 'prefill.onnx.data';
const TOKEN_EMBEDDING = 'model.embed_tokens.weight';
/** The token table's name when it is kept in ggml blocks (and a tied head reads it). */
const GGML_TOKEN_TABLE = 'model.embed_tokens';

/** Files copied beside the graph so a built folder is self-contained. */
const COMPANION_FILES = ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'chat_template.jinja'];

/** How int8 builds multiply when not told: the CPU's integer GEMM (see linear.ts). */
export const DEFAULT_INT8_KERNEL: Int8Kernel = 'dynamic';

export interface BuildOptions {
  precision: Precision;
  attention?: AttentionMode;
  /** How int8 builds, and an int4 build's 8-bit matrices, multiply (see linear.ts): 'dynamic' for the CPU (default), 'blockwise' for the GPU. */
  int8Kernel?: Int8Kernel;
  /**
   * int4 only: also write an int8 graph (dynamic kernel) that the runtime uses for prompts.
   * Prompts then run on the integer GEMM (about twice the prefill speed, measured on the 0.5B
   * shape on an AMD EPYC host with 2 vCPUs and AVX-512 VNNI; see linear.ts) while
   * decoding keeps int4's bandwidth advantage; it costs the int8 copy's memory (about 1 more
   * byte per weight), so it is opt-in.
   */
  prefillGraph?: boolean;
  /**
   * GGUF files only: build the file's own types ("as downloaded"): every quantized tensor kept in
   * its ggml blocks (MatMulNBits, GatherBlockQuantized; BuildContext.keepGgmlBlocks), float
   * tensors as float32. `precision` is then ignored: the manifest lists the build under the
   * nearest of Hearth's precisions (gguf-source-format.ts) and records the file's type in sourceFormat.
   */
  asDownloaded?: boolean;
  /** Called as work progresses: steps done of total, and what is being built. */
  onProgress?: (done: number, total: number, label: string) => void;
}

/** Builds from a Hugging Face folder or a GGUF file (as downloaded with `options.asDownloaded`, else decoded and built at `options.precision`). */
export async function buildModel(sourceDir: string, outDir: string, options: BuildOptions): Promise<ModelManifest> {
  const source = isGgufPath(sourceDir) ? await openGgufModelSource(sourceDir) : await openModelSource(sourceDir);
  try {
    return await buildFromSource(source, outDir, { ...options, sourceDir });
  } finally {
    await source.checkpoint.close();
  }
}

/**
 * Builds from any source of weights: a checkpoint folder (then `sourceDir` names it, and its
 * tokenizer and config files are copied along) or generated weights, as the benchmark uses.
 */
export async function buildFromSource(
  source: Pick<ModelSource, 'spec' | 'weight'> & { checkpoint?: ModelSource['checkpoint'] },
  outDir: string,
  options: BuildOptions & { sourceDir?: string },
): Promise<ModelManifest> {
  const { sourceDir } = options;
  const { spec } = source;
  const attention = options.attention ?? 'fused';
  const int8Kernel = options.int8Kernel ?? DEFAULT_INT8_KERNEL;
  const progress = options.onProgress ?? (() => {});
  const ggufHeader = sourceDir && isGgufPath(sourceDir) ? readGgufHeader(sourceDir) : null;
  const asDownloaded = options.asDownloaded === true;
  if (asDownloaded && !ggufHeader) throw new Error(`Only a GGUF file can be built as downloaded; ${sourceDir ?? 'this source'} is not one.`);
  const sourceFormat = ggufHeader ? ggufSourceFormat(ggufHeader, asDownloaded) : undefined;
  // As downloaded, the graph is a float32 one whose quantized weights keep their blocks.
  const graphPrecision: Precision = asDownloaded ? 'fp32' : options.precision;
  const precision: Precision = asDownloaded ? asDownloadedPrecision(sourceFormat!.fileType) : options.precision;
  const prefillGraph = options.prefillGraph === true && graphPrecision === 'int4';
  // A GGUF file carries its tokenizer and chat template as metadata, rebuilt as the files a folder
  // has; first, so that a tokenizer Hearth cannot rebuild is refused before the weights are built.
  const ggufTokenizer = ggufHeader ? tokenizerFromGgufMetadata(ggufHeader.metadata, sourceDir!) : null;
  await mkdir(outDir, { recursive: true });
  // A half-written build must never look complete: the manifest is written last.
  await rm(join(outDir, MANIFEST_FILE), { force: true });

  const graphs: GraphRequest[] = [{ precision: graphPrecision, int8Kernel, keepGgmlBlocks: asDownloaded, graphFile: GRAPH_FILE, dataFile: DATA_FILE, label: '' }];
  if (prefillGraph) graphs.push({ precision: 'int8', int8Kernel: 'dynamic', keepGgmlBlocks: false, graphFile: PREFILL_GRAPH_FILE, dataFile: PREFILL_DATA_FILE, label: 'prefill graph: ' });
  const stepsPerGraph = spec.numLayers + 2;
  let weightBytes = 0;
  for (const [index, request] of graphs.entries()) {
    const offset = index * stepsPerGraph;
    const total = graphs.length * stepsPerGraph;
    weightBytes += await writeGraph(source, outDir, attention, request, (done, label) => progress(offset + done, total, request.label + label));
  }

  if (ggufTokenizer) {
    await writeGgufTokenizerFiles(ggufTokenizer, outDir);
  } else if (sourceDir) {
    for (const file of COMPANION_FILES) {
      if (existsSync(join(sourceDir, file))) await copyFile(join(sourceDir, file), join(outDir, file));
    }
  }
  const manifest: ModelManifest = {
    format: MANIFEST_FORMAT,
    builderVersion: BUILDER_VERSION,
    spec,
    precision,
    attention,
    int8Kernel: graphPrecision === 'int8' || graphPrecision === 'int4' ? int8Kernel : null,
    kvDtype: graphPrecision === 'fp16' ? 'float16' : 'float32',
    weightBytes,
    graphFile: GRAPH_FILE,
    dataFile: DATA_FILE,
    prefillGraphFile: prefillGraph ? PREFILL_GRAPH_FILE : null,
    sourceHash: await hashModelSource(spec, sourceDir, source.checkpoint),
    createdAt: new Date().toISOString(),
    ...(sourceFormat ? { sourceFormat } : {}),
  };
  await writeFile(join(outDir, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n');
  progress(graphs.length * stepsPerGraph, graphs.length * stepsPerGraph, 'done');
  return manifest;
}

interface GraphRequest {
  precision: Precision;
  int8Kernel: Int8Kernel;
  /** Keep ggml blocks (as-downloaded GGUF builds). */
  keepGgmlBlocks: boolean;
  graphFile: string;
  dataFile: string;
  label: string;
}

/** Writes one graph and its weights; returns the bytes of weights written. */
async function writeGraph(
  source: Pick<ModelSource, 'spec' | 'weight'>,
  outDir: string,
  attention: AttentionMode,
  request: GraphRequest,
  progress: (done: number, label: string) => void,
): Promise<number> {
  const { spec } = source;
  const g = new GraphBuilder({ dir: outDir, graphFile: request.graphFile, dataFile: request.dataFile, graphName: `hearth-${spec.architecture}` });
  const ctx = new BuildContext(g, spec, request.precision, attention, request.int8Kernel, (name) => source.weight(name));
  ctx.keepGgmlBlocks = request.keepGgmlBlocks;
  const shared = new SharedValues(ctx);
  const { numKvHeads, headDim } = spec.attention;

  g.input(INPUT_IDS, DataType.INT64, ['batch_size', 'sequence_length']);
  g.input(ATTENTION_MASK, DataType.INT64, ['batch_size', 'total_sequence_length']);
  g.input(POSITION_IDS, DataType.INT64, ['batch_size', 'sequence_length']);
  g.input(NUM_LOGITS_TO_KEEP, DataType.INT64, []);
  for (let i = 0; i < spec.numLayers; i++) {
    g.input(pastKeyName(i), ctx.floatType, ['batch_size', numKvHeads, 'past_sequence_length', headDim]);
    g.input(pastValueName(i), ctx.floatType, ['batch_size', numKvHeads, 'past_sequence_length', headDim]);
  }

  progress(0, 'embeddings');
  let hidden = await emitEmbeddings(ctx);
  for (let i = 0; i < spec.numLayers; i++) {
    progress(i + 1, `layer ${i + 1} of ${spec.numLayers}`);
    hidden = await emitDecoderLayer(ctx, shared, i, hidden);
  }
  progress(spec.numLayers + 1, 'output head');
  hidden = emitNorm(ctx, hidden, '/model/norm', await loadNorm(ctx, 'finalNorm.weight', 'finalNorm.bias'));
  const logits = await emitLogits(ctx, keepLastPositions(ctx, shared, hidden));
  g.output(LOGITS, DataType.FLOAT, ['batch_size', 'kept_sequence_length', spec.vocabSize], logits);
  for (let i = 0; i < spec.numLayers; i++) {
    g.output(presentKeyName(i), ctx.floatType, ['batch_size', numKvHeads, 'present_sequence_length', headDim]);
    g.output(presentValueName(i), ctx.floatType, ['batch_size', numKvHeads, 'present_sequence_length', headDim]);
  }
  return g.finish().weightBytes;
}

export async function emitEmbeddings(ctx: BuildContext): Promise<string> {
  const { g, spec } = ctx;
  let hidden = emitTokenEmbedding(ctx, await ctx.requireWeight('embed'));
  if (spec.embeddingScale !== null) hidden = g.op('Mul', [hidden, ctx.floatConstant([spec.embeddingScale], [])], {}, { name: '/model/embed_scale' });
  if (spec.positions.kind === 'learned') {
    const positions = await ctx.requireWeight('positionEmbed');
    const positionTable = ctx.floatInitializer('model.embed_positions.weight', positions.shape, positions.data);
    hidden = g.op('Add', [hidden, g.op('Gather', [positionTable, POSITION_IDS], { axis: attr.int(0) })], {}, { name: '/model/embed_positions' });
  }
  if (spec.embeddingNorm) hidden = emitNorm(ctx, hidden, '/model/embed_norm', await loadNorm(ctx, 'embedNorm.weight', 'embedNorm.bias'));
  return hidden;
}

/**
 * Quantized builds keep the token embedding table in int8 blocks (GatherBlockQuantized
 * dequantizes only the gathered rows) with float16 scales, about a quarter of its float32 size,
 * and a tied head reads the same table (quantized-token-table.ts). int4 embeddings would save
 * another half but doubled the int4 perplexity cost on shakespeare-5m (+1.09 % against +0.60 %),
 * while int8 ones cost nothing measurable (+0.57 % with a float32 table).
 */
export const EMBEDDING_BITS = TOKEN_TABLE_BITS;

/** The ggml blocks a weight keeps in this graph (as-downloaded GGUF builds), or null. */
function keptGgmlBlocks(ctx: BuildContext, weight: F32Tensor) {
  return ctx.keepGgmlBlocks && ctx.floatType === DataType.FLOAT ? ggmlBlocksOf(weight) : null;
}

/** The token embedding lookup, block-quantized in int8/int4 builds where the hidden size allows (see EMBEDDING_BITS). */
function emitTokenEmbedding(ctx: BuildContext, embed: F32Tensor): string {
  const { g } = ctx;
  const [vocab, hidden] = embed.shape;
  // A GGUF table kept in its own blocks (see BuildContext.keepGgmlBlocks).
  const blocks = keptGgmlBlocks(ctx, embed);
  if (blocks) return emitGgmlEmbedding(g, INPUT_IDS, GGML_TOKEN_TABLE, ggmlToMatMulNBits(blocks.type, blocks.bytes, vocab, hidden), vocab, hidden);
  if ((ctx.precision === 'int8' || ctx.precision === 'int4') && canQuantizeTokenTable(hidden)) return emitQuantizedTokenLookup(g, embed, INPUT_IDS);
  const table = ctx.keepGgmlBlocks ? keptFloatInitializer(ctx, TOKEN_EMBEDDING, embed.shape, embed.data, isStoredAsF16(embed)) : ctx.floatInitializer(TOKEN_EMBEDDING, embed.shape, embed.data);
  return g.op('Gather', [table, INPUT_IDS], { axis: attr.int(0) }, { name: '/model/embed_tokens/Gather' });
}

export async function emitDecoderLayer(ctx: BuildContext, shared: SharedValues, layer: number, x: string): Promise<string> {
  const { g, spec } = ctx;
  const prefix = `/model/layers.${layer}`;
  const attnIn = emitNorm(ctx, x, `${prefix}/input_layernorm`, await loadNorm(ctx, `layers.${layer}.attnNorm.weight`, `layers.${layer}.attnNorm.bias`));
  const attnOut = await emitAttention(ctx, shared, layer, attnIn);
  const mlpNorm = await loadNorm(ctx, `layers.${layer}.mlpNorm.weight`, `layers.${layer}.mlpNorm.bias`);
  if (spec.residual === 'parallel') {
    const mlpOut = await emitMlp(ctx, layer, emitNorm(ctx, x, `${prefix}/post_attention_layernorm`, mlpNorm));
    return g.op('Add', [g.op('Add', [x, attnOut]), mlpOut], {}, { name: `${prefix}/residual` });
  }
  const afterAttn = g.op('Add', [x, attnOut], {}, { name: `${prefix}/attn_residual` });
  const mlpOut = await emitMlp(ctx, layer, emitNorm(ctx, afterAttn, `${prefix}/post_attention_layernorm`, mlpNorm));
  return g.op('Add', [afterAttn, mlpOut], {}, { name: `${prefix}/mlp_residual` });
}

/**
 * Keeps the last `num_logits_to_keep` positions (all when 0). Generation asks for one, so the
 * vocabulary projection, often the largest matmul of a small model, runs once per call.
 */
function keepLastPositions(ctx: BuildContext, shared: SharedValues, hidden: string): string {
  const { g } = ctx;
  const keep = g.op('Reshape', [NUM_LOGITS_TO_KEEP, g.int64s([1], [1])]);
  const start = g.op('Where', [g.op('Equal', [keep, g.int64s([0], [1])]), g.int64s([0], [1]), g.op('Sub', [shared.newLength, keep])]);
  return g.op('Slice', [hidden, start, g.int64s([Number.MAX_SAFE_INTEGER], [1]), g.int64s([1], [1])], {}, { name: '/model/keep_last_positions' });
}

export async function emitLogits(ctx: BuildContext, hidden: string): Promise<string> {
  const { g, spec } = ctx;
  let logits: string;
  const head = await ctx.weight('lmHead');
  // A tied head kept in ggml blocks reads a second copy of them (MatMulNBits): there is no float table to share.
  const tiedBlocks = !head && ctx.keepGgmlBlocks ? await ctx.requireWeight('embed') : null;
  const tiedTable = tiedBlocks ? keptGgmlBlocks(ctx, tiedBlocks) : null;
  const table = ggmlTableIn(g, GGML_TOKEN_TABLE);
  const quantizedTable = head ? null : quantizedTokenTableIn(g);
  if (tiedBlocks && tiedTable && table) {
    const [vocab, hiddenSize] = tiedBlocks.shape;
    const m = ggmlToMatMulNBits(tiedTable.type, tiedTable.bytes, vocab, hiddenSize);
    logits = emitGgmlMatMulNBits(g, hidden, '/lm_head', m, vocab, hiddenSize, CPU_ACCURACY_LEVEL, table);
  } else if (quantizedTable) {
    // A quantized build's tied head reads its 8-bit token table.
    logits = emitTiedQuantizedHead(g, hidden, quantizedTable, CPU_ACCURACY_LEVEL);
  } else if (head || ctx.precision === 'int8' || ctx.precision === 'int4' || (tiedBlocks && keptGgmlBlocks(ctx, tiedBlocks))) {
    // An untied head; or a tied one in a quantized build whose table could not be blocked (hidden size off the block), as its own packed copy.
    logits = emitLinear(ctx, hidden, '/lm_head', { weight: head ?? tiedBlocks ?? (await ctx.requireWeight('embed')), bias: null });
  } else {
    // Tied fp32/fp16 head: Gemm with transB reads the embedding table itself, with no copy.
    const flat = g.op('Reshape', [hidden, g.int64s([-1, spec.hiddenSize], [2])]);
    const projected = g.op('Gemm', [flat, TOKEN_EMBEDDING], { transB: attr.int(1) }, { name: '/lm_head/Gemm' });
    const batch = g.op('Shape', [hidden], { start: attr.int(0), end: attr.int(2) });
    logits = g.op('Reshape', [projected, g.op('Concat', [batch, g.int64s([spec.vocabSize], [1])], { axis: attr.int(0) })]);
  }
  return ctx.floatType === DataType.FLOAT ? logits : g.op('Cast', [logits], { to: attr.int(DataType.FLOAT) });
}
