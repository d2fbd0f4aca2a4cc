// `hearth eval --data prefs.jsonl --adapter DIR`: on a preference file (TRL's {"prompt",
// "chosen", "rejected"}), DPO's implicit rewards of the adapter against the base. The last
// stdout line is `preference_accuracy=<share> reward_margin=<mean> ...`.
import { evaluatePreferenceFile } from '../../train/preference-eval.ts';
import { UsageError } from '../command.ts';
import { parseIntegerOption, parseNumberOption } from '../option-values.ts';

export interface PreferenceEvalArgs {
  baseDir: string;
  data: string;
  adapter: string | undefined;
  beta: string | undefined;
  batch: string | undefined;
  maxLength: string | undefined;
  threads: string | undefined;
}

export async function runPreferenceEval(args: PreferenceEvalArgs): Promise<number> {
  if (args.adapter === undefined) throw new UsageError(`${args.data} holds preference pairs: give --adapter DIR (their rewards are measured against the base model, so the base alone scores 0)`);
  const result = await evaluatePreferenceFile({
    baseDir: args.baseDir,
    adapter: args.adapter,
    dataPath: args.data,
    beta: args.beta === undefined ? undefined : parseNumberOption('--beta', args.beta, { min: 0 }),
    batchSize: args.batch === undefined ? undefined : parseIntegerOption('--batch', args.batch, { min: 1 }),
    maxLength: args.maxLength === undefined ? undefined : parseIntegerOption('--max-length', args.maxLength, { min: 2 }),
    threads: args.threads === undefined ? undefined : parseIntegerOption('--threads', args.threads, { min: 1 }),
  });
  console.error(`${result.pairs} pairs${result.truncated ? `, ${result.truncated} truncated` : ''}${result.dropped.length ? `, left out (prompt fills the maximum length): line(s) ${result.dropped.join(', ')}` : ''}; DPO loss ${result.loss.toFixed(6)}`);
  console.log(`preference_accuracy=${result.rewardsAccuracy.toFixed(4)} reward_margin=${result.rewardsMargin.toFixed(6)} rewards_chosen=${result.rewardsChosen.toFixed(6)} rewards_rejected=${result.rewardsRejected.toFixed(6)}`);
  return 0;
}
