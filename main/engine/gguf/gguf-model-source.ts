// Opens a GGUF file for building, as openModelSource opens a Hugging Face folder: the metadata
// becomes the config.json the model would have (gguf-config.ts), the architecture's own schema
// and toSpec fold it into the ModelSpec, the tensors are served under their Hugging Face names in
// [out, in] float32 (gguf-checkpoint.ts: decoded from their ggml blocks, exactly the stored
// values), and the same header-only check as for a folder proves every weight the spec implies is
// there with the shape it implies, before anything is built.
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import type { F32Tensor, WeightName } from '../../common/model-spec.ts';
import { expectShape } from '../checkpoint/expect-shape.ts';
import { findArchitecture } from '../architectures/architecture-registry.ts';
import { ConfigError } from '../architectures/config-error.ts';
import type { ModelSource } from '../architectures/model-source.ts';
import { expectedWeightShape } from '../architectures/spec-weights.ts';
import { checkWeightsMatchConfig } from '../architectures/weights-match-config.ts';
import { GgufCheckpoint } from './gguf-checkpoint.ts';
import { dequantizeGgml } from './ggml-dequantize.ts';
import { configFromGguf, ggufArchitecture, OUTPUT, ROPE_FREQS, TOKEN_EMBEDDING } from './gguf-config.ts';
import { GgufError, openGgufFile, type GgufFile } from './gguf-file.ts';
import { GgufTokenizerError, tokenizerFromGgufMetadata } from './gguf-tokenizer.ts';

/**
 * Whether a model path names a GGUF file: by its extension, as llama.cpp's tools name them, or by
 * its first bytes, for files stored without it (Ollama keeps its models as sha256-… blobs).
 */
export function isGgufPath(path: string): boolean {
  if (path.toLowerCase().endsWith('.gguf')) return true;
  let fd: number | null = null;
  try {
    if (!statSync(path).isFile()) return false;
    fd = openSync(path, 'r');
    const magic = Buffer.alloc(4);
    return readSync(fd, magic, 0, 4, 0) === 4 && magic.toString('latin1') === 'GGUF';
  } catch {
    return false;
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

export async function openGgufModelSource(path: string): Promise<ModelSource> {
  const file = await openGgufFile(path);
  try {
    const { architecture: ggufArch } = ggufArchitecture(file);
    const ropeFreqs = file.tensors.get(ROPE_FREQS);
    const ropeFactors = ropeFreqs ? dequantizeGgml(ropeFreqs.type, await file.readTensorBytes(ROPE_FREQS), ropeFreqs.values) : null;
    const outputIsEmbedding = ggufArch.tiedHeadWrittenTwice === true && (await sameTensor(file, OUTPUT, TOKEN_EMBEDDING));
    const config = configFromGguf(file, { ropeFactors, outputIsEmbedding, endOfGenerationIds: endOfGenerationIds(file) });
    const architecture = findArchitecture(ggufArch.modelType);
    if (!architecture) throw new Error(`No architecture definition for model_type ${ggufArch.modelType}.`);
    const parsed = architecture.configSchema.safeParse(config);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((issue) => `  - ${issue.path.join('.')}: ${issue.message}`).join('\n');
      throw new GgufError(path, `its metadata does not describe a valid ${architecture.modelType} model:\n${issues}\nThe file is damaged: download it again.`);
    }
    let spec;
    try {
      spec = architecture.toSpec(parsed.data, {});
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      // toSpec's messages name config.json, which a GGUF file has not: they name its fields.
      throw new GgufError(path, error.message.replace(/^config\.json: /, ''), { cause: error });
    }
    const { numHeads, numKvHeads, headDim } = spec.attention;
    const checkpoint = new GgufCheckpoint(file, { architecture: ggufArch, numHeads, numKvHeads, headDim, omit: outputIsEmbedding ? [OUTPUT] : [] });
    await checkWeightsMatchConfig({ configPath: path, config, architecture, spec, checkpoint });

    async function weight(name: WeightName): Promise<F32Tensor | null> {
      const shape = expectedWeightShape(spec!, name);
      if (shape === null) return null;
      const tensor = await architecture!.loadWeight(name, checkpoint, spec!);
      if (tensor === null) throw new GgufError(path, `lacks the weight ${name}, which its metadata implies. Download the file again.`);
      expectShape(name, tensor, shape, path);
      return tensor;
    }

    return { spec, checkpoint, config, architecture, weight, close: () => checkpoint.close() };
  } catch (error) {
    await file.close();
    throw error;
  }
}

/** Whether two tensors hold the same bytes (a tied head the converter wrote twice). */
async function sameTensor(file: GgufFile, a: string, b: string): Promise<boolean> {
  const x = file.tensors.get(a);
  const y = file.tensors.get(b);
  if (!x || !y || x.type !== y.type || x.dims.join() !== y.dims.join()) return false;
  return Buffer.from(await file.readTensorBytes(a)).equals(await file.readTensorBytes(b));
}

/**
 * The ids llama.cpp stops generating at (eos, eot, eom and the turn ends it knows by name), from
 * the tokenizer the metadata describes; null when that cannot be rebuilt, which a build then
 * refuses with the reason (the spec alone, for hearth plan, does not need it).
 */
function endOfGenerationIds(file: GgufFile): number[] | null {
  try {
    return tokenizerFromGgufMetadata(file.metadata, file.path).endOfGenerationIds;
  } catch (error) {
    if (error instanceof GgufTokenizerError) return null;
    throw error;
  }
}
