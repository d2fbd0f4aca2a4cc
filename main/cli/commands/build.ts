// hearth build <hf-dir | FILE.gguf> --out DIR [--dtype fp32|fp16|int8|int4] [--attention fused|reference]
// A GGUF file builds as downloaded (its own types kept) unless --dtype asks to requantize it.
import { parseArgs } from 'node:util';
import { AttentionModeSchema, PrecisionSchema, builtPrecisionLabel } from '../../common/model-manifest.ts';
import { buildModel } from '../../engine/builder/build-model.ts';
import { isGgufPath } from '../../engine/gguf/gguf-model-source.ts';
import { UsageError, type Command } from '../command.ts';
import { createProgressBar } from '../progress-bar.ts';

export const buildCommand: Command = {
  name: 'build',
  summary: 'build an onnxruntime model from a Hugging Face checkpoint folder or a GGUF file',
  usage: 'hearth build <hf-dir | FILE.gguf> --out DIR [--dtype fp32|fp16|int8|int4 (default fp32; a GGUF file: its own types)] [--attention fused|reference]',
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { out: { type: 'string' }, dtype: { type: 'string' }, attention: { type: 'string', default: 'fused' } },
    });
    if (positionals.length !== 1) throw new UsageError('give exactly one Hugging Face model folder or GGUF file');
    if (!values.out) throw new UsageError('--out DIR is required');
    const gguf = isGgufPath(positionals[0]);
    const asDownloaded = gguf && values.dtype === undefined;
    const precision = PrecisionSchema.safeParse(values.dtype ?? 'fp32');
    if (!precision.success) throw new UsageError(`--dtype must be one of ${PrecisionSchema.options.join(', ')}, not '${values.dtype}'`);
    if (gguf && !asDownloaded) {
      console.error(`--dtype ${precision.data} requantizes ${positionals[0]}: its weights are decoded and quantized again to ${precision.data}, not kept as the file stores them.`);
    }
    const attention = AttentionModeSchema.safeParse(values.attention);
    if (!attention.success) throw new UsageError(`--attention must be fused or reference, not '${values.attention}'`);

    const bar = createProgressBar(`building ${asDownloaded ? 'as downloaded' : precision.data}`);
    const started = performance.now();
    try {
      const manifest = await buildModel(positionals[0], values.out, {
        precision: precision.data,
        asDownloaded,
        attention: attention.data,
        onProgress: (done, total, label) => bar.update(done, total, label),
      });
      bar.stop();
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      const mb = (manifest.weightBytes / 1e6).toFixed(1);
      console.error(`built ${manifest.spec.architecture} ${builtPrecisionLabel(manifest)} (${manifest.attention} attention, ${mb} MB of weights) in ${seconds}s → ${values.out}`);
      return 0;
    } finally {
      bar.stop();
    }
  },
};
