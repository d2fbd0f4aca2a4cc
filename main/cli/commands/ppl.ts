// hearth ppl DIR --tokens FILE.safetensors --tensor NAME --window 256 --windows 32
// Perplexity over consecutive windows: window i feeds ids[i·w … (i+1)·w − 1] in one pass and
// scores each position's prediction of the next id, ids[i·w + 1 … (i+1)·w]. The last stdout
// line is exactly `nll=<mean> ppl=<exp(mean)>`.
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SafetensorsFile } from '../../engine/checkpoint/safetensors-file.ts';
import { windowedPerplexity } from '../../engine/runtime/perplexity.ts';
import { UsageError, type Command } from '../command.ts';
import { openModelArgument } from '../model-argument.ts';
import { parseIntegerOption, parsePrecisionOption } from '../option-values.ts';
import { createProgressBar } from '../progress-bar.ts';

const DEFAULT_WINDOW = 256;

/** The token file cannot be scored as asked: wrong tensor type, ids out of range, too short. */
export class TokenFileError extends Error {
  override name = 'TokenFileError';
}

export const pplCommand: Command = {
  name: 'ppl',
  summary: 'perplexity of a model over token windows from a .safetensors file',
  usage:
    `hearth ppl DIR --tokens FILE.safetensors --tensor NAME [--window ${DEFAULT_WINDOW}] [--windows N] [--dtype fp32|fp16|int8|int4] [--threads N]\n\n` +
    'Window i feeds ids[i·w … (i+1)·w − 1] in one pass and scores the predictions of ids[i·w + 1 … (i+1)·w],\n' +
    'so N windows need N·w + 1 ids. --windows defaults to as many as the tensor holds. The last line is\n' +
    '`nll=<mean negative log-likelihood> ppl=<exp of it>`.',
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        tokens: { type: 'string' },
        tensor: { type: 'string' },
        window: { type: 'string' },
        windows: { type: 'string' },
        dtype: { type: 'string' },
        threads: { type: 'string' },
      },
    });
    if (positionals.length !== 1) throw new UsageError('give exactly one model folder');
    if (values.tokens === undefined) throw new UsageError('--tokens FILE.safetensors is required');
    if (values.tensor === undefined) throw new UsageError('--tensor NAME is required (the token-id tensor in the file)');
    const window = values.window === undefined ? DEFAULT_WINDOW : parseIntegerOption('--window', values.window, { min: 1 });
    const requestedWindows = values.windows === undefined ? undefined : parseIntegerOption('--windows', values.windows, { min: 1 });
    const precision = parsePrecisionOption(values.dtype);
    const threads = values.threads === undefined ? undefined : parseIntegerOption('--threads', values.threads, { min: 1 });

    const ids = await readTokenIds(values.tokens, values.tensor);
    const windows = requestedWindows ?? Math.floor((ids.length - 1) / window);
    const needed = windows * window + 1;
    if (windows < 1 || ids.length < needed) {
      throw new TokenFileError(
        `${values.tokens}: tensor "${values.tensor}" holds ${ids.length} ids, but ${windows || 1} window(s) of ${window} need ${Math.max(needed, window + 1)} ` +
          '(windows × window + 1, for the last prediction). Lower --windows or --window, or give a longer tensor.',
      );
    }

    const model = await openModelArgument(positionals[0], { precision, threads });
    try {
      const vocab = model.spec.vocabSize;
      if (window > model.spec.contextLength) throw new UsageError(`--window ${window} is longer than the model's context of ${model.spec.contextLength} tokens`);
      const outside = ids.slice(0, needed).findIndex((id) => id >= vocab);
      if (outside >= 0) throw new TokenFileError(`${values.tokens}: id ${ids[outside]} at index ${outside} is outside the model's vocabulary of ${vocab} tokens; the tokens belong to another tokenizer.`);

      const bar = createProgressBar('scoring');
      let result;
      try {
        result = await windowedPerplexity(model, ids, window, windows, (done, total) => bar.update(done, total, `window ${done + 1} of ${total}`));
      } finally {
        bar.stop();
      }
      console.error(`scored ${result.tokens} predictions in ${windows} window(s) of ${window} tokens`);
      console.log(`nll=${result.nll.toFixed(6)} ppl=${result.perplexity.toFixed(4)}`);
      return 0;
    } finally {
      await model.release();
    }
  },
};

/** The tensor's values as ids, whatever its integer type and shape (e.g. [8193] or [1, 8193]). */
async function readTokenIds(path: string, name: string): Promise<number[]> {
  if (!existsSync(path)) throw new TokenFileError(`--tokens: ${path} does not exist; give a .safetensors file holding the token ids.`);
  const file = await SafetensorsFile.open(path);
  try {
    const tensor = await file.readTyped(name);
    if (!['I64', 'I32', 'I16', 'I8', 'U8'].includes(tensor.dtype)) {
      throw new TokenFileError(`${path}: tensor "${name}" is ${tensor.dtype}; token ids must be an integer tensor (I64, I32, I16, I8 or U8).`);
    }
    const ids = Array.from(tensor.data as BigInt64Array | Int32Array, Number);
    const negative = ids.findIndex((id) => id < 0);
    if (negative >= 0) throw new TokenFileError(`${path}: tensor "${name}" holds a negative id (${ids[negative]}) at index ${negative}.`);
    return ids;
  } finally {
    await file.close();
  }
}
