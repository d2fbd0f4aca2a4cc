// hearth logits DIR --ids 5,17,42 [--prefill K] --out FILE.safetensors
// Writes float32 `logits` [1, n, vocab] for every position, for comparing against PyTorch.
import { parseArgs } from 'node:util';
import { writeSafetensors } from '../../engine/checkpoint/safetensors-writer.ts';
import { computeLogits } from '../../engine/runtime/logits.ts';
import { UsageError, type Command } from '../command.ts';
import { openModelArgument } from '../model-argument.ts';
import { checkIdsInVocabulary, parseIdList, parseIntegerOption, parsePrecisionOption } from '../option-values.ts';

export const logitsCommand: Command = {
  name: 'logits',
  summary: 'write the logits of every position of a token sequence to a .safetensors file',
  usage:
    'hearth logits DIR --ids 5,17,42 [--prefill K] --out FILE.safetensors [--dtype fp32|fp16|int8|int4] [--threads N]\n\n' +
    'Writes tensor `logits` (float32 [1, n, vocab]). Without --prefill all ids go through the model in one pass;\n' +
    'with --prefill K the first K ids go in one pass, then the rest one at a time through the KV cache.\n' +
    'DIR is a built folder or a Hugging Face folder (built once into the cache; --dtype picks the precision, default fp32).',
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { ids: { type: 'string' }, prefill: { type: 'string' }, out: { type: 'string' }, dtype: { type: 'string' }, threads: { type: 'string' } },
    });
    if (positionals.length !== 1) throw new UsageError('give exactly one model folder');
    if (values.ids === undefined) throw new UsageError('--ids is required');
    if (values.out === undefined) throw new UsageError('--out FILE.safetensors is required');
    const ids = parseIdList('--ids', values.ids);
    const prefill = values.prefill === undefined ? undefined : parseIntegerOption('--prefill', values.prefill, { min: 1, max: ids.length });
    const precision = parsePrecisionOption(values.dtype);
    const threads = values.threads === undefined ? undefined : parseIntegerOption('--threads', values.threads, { min: 1 });

    const model = await openModelArgument(positionals[0], { precision, threads });
    try {
      checkIdsInVocabulary('--ids', ids, model.spec.vocabSize);
      if (ids.length > model.spec.contextLength) throw new UsageError(`--ids holds ${ids.length} tokens; the model takes at most ${model.spec.contextLength}`);
      const logits = await computeLogits(model, ids, { prefill });
      const shape = [1, ids.length, model.spec.vocabSize];
      await writeSafetensors(values.out, { logits: { dtype: 'F32', shape, data: logits } });
      console.error(`wrote logits [${shape.join(', ')}] to ${values.out}`);
      return 0;
    } finally {
      await model.release();
    }
  },
};
