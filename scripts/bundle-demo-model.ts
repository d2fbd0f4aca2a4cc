// Makes resources/models/shakespeare-5m/, the demo model bundled so that Hearth works offline:
// the trained shakespeare-5m from ../shared/fixtures, its weights stored in fp16 (half the
// size), with its tokenizer, chat template and configs. Run once from the repo root:
//   npx tsx scripts/bundle-demo-model.ts [source-dir]
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { openCheckpoint } from '../main/engine/checkpoint/safetensors-checkpoint.ts';
import { writeSafetensors, type TensorToWrite } from '../main/engine/checkpoint/safetensors-writer.ts';

const source = process.argv[2] ?? '../shared/fixtures/shakespeare-5m';
const target = 'resources/models/shakespeare-5m';
const companions = ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json'];

await mkdir(target, { recursive: true });
const checkpoint = await openCheckpoint(source);
const tensors: Record<string, TensorToWrite> = {};
for (const name of checkpoint.tensors.keys()) {
  const { data, shape } = await checkpoint.readF32(name);
  tensors[name] = { dtype: 'F16', shape, data };
}
await checkpoint.close();
await writeSafetensors(join(target, 'model.safetensors'), tensors, { format: 'pt' });
for (const file of companions) await copyFile(join(source, file), join(target, file));
console.log(`wrote ${Object.keys(tensors).length} tensors in fp16 to ${target}`);
