// The DIR argument of logits/run/chat/ppl: a built folder, or a Hugging Face folder or GGUF file
// that is built once into the cache (with a progress bar on stderr) and then opened.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Precision } from '../common/model-manifest.ts';
import { resolveBuiltModel } from '../engine/built-model-cache.ts';
import { isGgufPath } from '../engine/gguf/gguf-model-source.ts';
import { openModel, type LoadedModel } from '../engine/runtime/model-session.ts';
import { TOKENIZER_FILE, loadTokenizer } from '../engine/tokenizer/load-tokenizer.ts';
import type { TextTokenizer } from '../engine/tokenizer/text-tokenizer.ts';
import { createProgressBar } from './progress-bar.ts';

export interface ModelArgumentOptions {
  /** --dtype: the precision to build a Hugging Face folder in (default fp32), or to requantize a GGUF file to (default: its own types). */
  precision?: Precision;
  /** --threads: intra-op threads. */
  threads?: number;
}

export async function openModelArgument(dir: string, options: ModelArgumentOptions = {}): Promise<LoadedModel> {
  if (isGgufPath(dir) && options.precision !== undefined) {
    console.error(`--dtype ${options.precision} requantizes ${dir}: its weights are decoded and quantized again to ${options.precision}, not kept as the file stores them.`);
  }
  const bar = createProgressBar(`building ${options.precision ?? (isGgufPath(dir) ? 'as downloaded' : 'fp32')}`);
  let building = false;
  const started = performance.now();
  let builtDir: string;
  try {
    builtDir = await resolveBuiltModel(dir, {
      precision: options.precision,
      onProgress: (done, total, label) => {
        building = true;
        bar.update(done, total, label);
      },
    });
  } finally {
    bar.stop();
  }
  if (building) console.error(`built ${dir} in ${((performance.now() - started) / 1000).toFixed(1)}s (cached in ${builtDir})`);
  return openModel(builtDir, { threads: options.threads });
}

/** The model's tokenizer, or null when its folder has none (test fixtures work on ids only). */
export async function loadTokenizerIfPresent(model: LoadedModel): Promise<TextTokenizer | null> {
  return existsSync(join(model.dir, TOKENIZER_FILE)) ? loadTokenizer(model.dir) : null;
}
