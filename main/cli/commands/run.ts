// hearth run DIR (--prompt TEXT | --ids CSV) [sampling options] [--json]
// Generates after a prompt, streaming the text to stdout. With --json, stdout holds only one
// line, written at the end: {"prompt_ids":[...],"ids":[...],"text":"...","ttft_ms":...,"tok_s":...}.
import { parseArgs } from 'node:util';
import { DEFAULT_MAX_NEW_TOKENS, collectGeneration, generate } from '../../engine/runtime/generate.ts';
import { UsageError, type Command } from '../command.ts';
import { loadTokenizerIfPresent, openModelArgument } from '../model-argument.ts';
import { checkIdsInVocabulary, parseIdList, parseIntegerOption, parsePrecisionOption } from '../option-values.ts';
import { SAMPLING_OPTIONS, SAMPLING_USAGE, samplingFromValues } from '../sampling-options.ts';
import { dim } from '../terminal-style.ts';

export const runCommand: Command = {
  name: 'run',
  summary: 'generate text after a prompt, streaming it',
  usage:
    `hearth run DIR (--prompt TEXT | --ids CSV) ${SAMPLING_USAGE} [--threads N] [--dtype fp32|fp16|int8|int4] [--json]\n\n` +
    'Greedy by default (--temperature 0), so a run is repeatable; give --temperature (and --seed) to sample.\n' +
    `--max-new-tokens defaults to ${DEFAULT_MAX_NEW_TOKENS}; --top-k 50, --top-p 1, --min-p 0 and --repetition-penalty 1 apply when sampling.\n` +
    '--prompt is encoded with the model\'s tokenizer (adding special tokens as its config says); --ids needs no tokenizer.\n' +
    'Text streams to stdout and a summary goes to stderr. With --json stdout holds only the line\n' +
    '{"prompt_ids":[prompt ids],"ids":[generated ids],"text":"...","ttft_ms":N,"tok_s":N}. Ctrl+C stops the generation early.\n' +
    'DIR is a built folder or a Hugging Face folder (built once into the cache; --dtype picks the precision, default fp32).',
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        prompt: { type: 'string' },
        ids: { type: 'string' },
        threads: { type: 'string' },
        dtype: { type: 'string' },
        json: { type: 'boolean', default: false },
        ...SAMPLING_OPTIONS,
      },
    });
    if (positionals.length !== 1) throw new UsageError('give exactly one model folder');
    if ((values.prompt === undefined) === (values.ids === undefined)) throw new UsageError('give either --prompt TEXT or --ids CSV');
    const givenIds = values.ids === undefined ? null : parseIdList('--ids', values.ids);
    const sampling = samplingFromValues(values, { maxNewTokens: DEFAULT_MAX_NEW_TOKENS, temperature: 0 });
    const precision = parsePrecisionOption(values.dtype);
    const threads = values.threads === undefined ? undefined : parseIntegerOption('--threads', values.threads, { min: 1 });

    const model = await openModelArgument(positionals[0], { precision, threads });
    try {
      const tokenizer = await loadTokenizerIfPresent(model);
      let promptIds: number[];
      if (givenIds !== null) {
        promptIds = givenIds;
        checkIdsInVocabulary('--ids', promptIds, model.spec.vocabSize);
      } else {
        if (tokenizer === null) throw new UsageError(`${model.dir} has no tokenizer.json, so --prompt cannot be encoded; give --ids instead`);
        promptIds = tokenizer.encode(values.prompt ?? '');
        if (promptIds.length === 0) throw new UsageError('--prompt encodes to no tokens; give some text');
      }

      const abort = new AbortController();
      const onInterrupt = () => abort.abort();
      process.once('SIGINT', onInterrupt);
      let result;
      try {
        const contextLength = Math.min(model.spec.contextLength, promptIds.length + sampling.maxNewTokens);
        result = await collectGeneration(generate(model, tokenizer, promptIds, { ...sampling, contextLength }, abort.signal), (event) => {
          if (!values.json && event.text) process.stdout.write(event.text);
        });
      } finally {
        process.off('SIGINT', onInterrupt);
      }

      if (values.json) {
        const line = { prompt_ids: promptIds, ids: result.ids, text: result.text, ttft_ms: round(result.ttftMs), tok_s: round(result.tokensPerSecond) };
        process.stdout.write(JSON.stringify(line) + '\n');
      } else if (tokenizer !== null) {
        process.stdout.write('\n');
      } else {
        // No tokenizer, so no text to stream: the ids are the output.
        process.stdout.write(result.ids.join(',') + '\n');
      }
      const summary = `${result.ids.length} tokens · ${result.tokensPerSecond.toFixed(1)} tok/s · TTFT ${result.ttftMs.toFixed(0)} ms · prompt ${result.promptTokens} tokens · stopped: ${result.stopReason}${sampling.temperature > 0 ? ` · seed ${result.seed}` : ''}`;
      console.error(dim(summary, process.stderr));
      return 0;
    } finally {
      await model.release();
    }
  },
};

/** Two decimals are plenty for timings, and keep the JSON line short. */
function round(value: number): number {
  return Math.round(value * 100) / 100;
}
