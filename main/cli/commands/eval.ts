// hearth eval <hf-dir> [--adapter DIR] --data F.jsonl
// Mean NLL of the assistant answers (the last turn of each example), with a PEFT adapter applied
// at run time or without. The last stdout line is exactly `answer_nll=<value>`.
import { parseArgs } from 'node:util';
import { evaluateAnswerNll } from '../../train/answer-nll.ts';
import { UsageError, type Command } from '../command.ts';
import { parseIntegerOption } from '../option-values.ts';
import { createProgressBar } from '../progress-bar.ts';
import { isPreferenceFile } from '../../train/preference-eval.ts';
import { runPreferenceEval } from './eval-preferences.ts';
import { BASE_DTYPE_USAGE, parseBaseDtypeOption } from '../base-dtype-option.ts';

export const evalCommand: Command = {
  name: 'eval',
  summary: 'mean NLL of the assistant answers of a JSONL file, with or without a LoRA adapter',
  usage:
    'hearth eval HF-DIR --data F.jsonl [--adapter DIR] [--batch 8] [--max-length N] [--threads N] [' + BASE_DTYPE_USAGE + ']\n\n' +
    'Each example is scored on its last message: the prompt is every turn before it plus the generation\n' +
    "prompt, the answer is the message's content followed by the chat template's end-of-turn text. The\n" +
    'mean is over answer tokens. --adapter applies a PEFT LoRA adapter. The last line is `answer_nll=<value>`.\n\n' +
    'On a preference file (TRL\'s {"prompt","chosen","rejected"}) with --adapter: DPO\'s implicit rewards\n' +
    'beta·log(π/π_base) of chosen and rejected answers (--beta, default 0.1); the last line is\n' +
    '`preference_accuracy=<share of pairs where chosen wins> reward_margin=<mean chosen − rejected> ...`.',
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { data: { type: 'string' }, adapter: { type: 'string' }, beta: { type: 'string' }, batch: { type: 'string' }, 'max-length': { type: 'string' }, threads: { type: 'string' }, 'base-dtype': { type: 'string' } },
    });
    if (positionals.length !== 1) throw new UsageError('give exactly one Hugging Face model folder');
    if (values.data === undefined) throw new UsageError('--data F.jsonl is required');
    if (await isPreferenceFile(values.data)) {
      return runPreferenceEval({ baseDir: positionals[0], data: values.data, adapter: values.adapter, beta: values.beta, batch: values.batch, maxLength: values['max-length'], threads: values.threads });
    }
    if (values.beta !== undefined) throw new UsageError('--beta applies to preference files only');
    const bar = createProgressBar('scoring');
    let result;
    try {
      result = await evaluateAnswerNll({
        baseDir: positionals[0],
        adapter: values.adapter,
        dataPath: values.data,
        batchSize: values.batch === undefined ? undefined : parseIntegerOption('--batch', values.batch, { min: 1 }),
        maxLength: values['max-length'] === undefined ? undefined : parseIntegerOption('--max-length', values['max-length'], { min: 2 }),
        threads: values.threads === undefined ? undefined : parseIntegerOption('--threads', values.threads, { min: 1 }),
        baseDtype: parseBaseDtypeOption(values['base-dtype']),
        onProgress: (done, total) => bar.update(done, total, `${done} of ${total} examples`),
      });
    } finally {
      bar.stop();
    }
    console.error(`${result.examples} examples, ${result.tokens} answer tokens${result.truncated ? `, ${result.truncated} truncated` : ''}; mean of per-example means ${result.meanOfExamples.toFixed(6)}`);
    console.log(`answer_nll=${result.nll.toFixed(6)}`);
    return 0;
  },
};
