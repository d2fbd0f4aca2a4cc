// --base-dtype on `hearth finetune`, `hearth eval` and `hearth bench --train`: the frozen base's
// precision while training or scoring (QLoRA at int8/int4). The adapter does not depend on it.
import { BASE_DTYPES, BaseDtypeSchema, type BaseDtype } from '../common/contracts/jobs.ts';
import { UsageError } from './command.ts';

export const BASE_DTYPE_USAGE = `--base-dtype ${BASE_DTYPES.join('|')}`;

/** The option's value, or undefined when it was not given (the trainer's default, fp32). */
export function parseBaseDtypeOption(text: string | undefined): BaseDtype | undefined {
  if (text === undefined) return undefined;
  const parsed = BaseDtypeSchema.safeParse(text);
  if (!parsed.success) throw new UsageError(`--base-dtype must be one of ${BASE_DTYPES.join(', ')}, not '${text}'`);
  return parsed.data;
}
