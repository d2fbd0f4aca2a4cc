// hearth merge <hf-dir> --adapter DIR --out HF-DIR
// Folds a PEFT LoRA adapter into the base weights (W + (alpha/r)·B·A) and writes a new Hugging
// Face folder (model.safetensors with configs and tokenizer files) that builds at any precision.
import { parseArgs } from 'node:util';
import { mergeAdapterIntoFolder } from '../../train/merge-adapter-folder.ts';
import { UsageError, type Command } from '../command.ts';

export const mergeCommand: Command = {
  name: 'merge',
  summary: 'fold a LoRA adapter into its base model as a new Hugging Face folder',
  usage:
    'hearth merge HF-DIR --adapter DIR --out HF-DIR\n\n' +
    'Writes W + (alpha/r)·B·A for every layer the adapter targets, copies every other tensor and the config,\n' +
    'tokenizer and chat template files. The new folder builds and runs like any model (e.g. hearth run OUT --dtype int4).',
  async run(args) {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { adapter: { type: 'string' }, out: { type: 'string' } } });
    if (positionals.length !== 1) throw new UsageError('give exactly one Hugging Face model folder');
    if (values.adapter === undefined) throw new UsageError('--adapter DIR is required (a PEFT adapter folder)');
    if (values.out === undefined) throw new UsageError('--out HF-DIR is required (a new folder for the merged model)');
    const result = await mergeAdapterIntoFolder(positionals[0], values.adapter, values.out);
    console.error(`merged the adapter into ${result.mergedTensors} weight(s); copied ${result.copiedTensors} other tensor(s)`);
    console.log(`merged=${values.out}`);
    return 0;
  },
};
