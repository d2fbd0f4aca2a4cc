// A .gguf file where the hearth command takes a model: `build` writes a folder with the tokenizer
// and chat template rebuilt from the file's metadata, `run --prompt` gives llama.cpp's greedy ids
// (shared/fixtures/gguf/reference.json), `plan` reads the spec, and `--dtype` says it requantizes.
// Skips where ../shared is absent.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CliScratch, REPO_ROOT, lastLine } from '../cli-test-support.ts';

const GGUF_DIR = join(REPO_ROOT, '..', 'shared', 'fixtures', 'gguf');
const REFERENCE = join(GGUF_DIR, 'reference.json');

interface Reference {
  prompt: string;
  files: Record<string, { prompt_ids: number[]; llama_cpp_greedy_ids: number[] }>;
}
const reference: Reference | null = existsSync(REFERENCE) ? (JSON.parse(readFileSync(REFERENCE, 'utf8')) as Reference) : null;

describe('the hearth command on GGUF files', { skip: reference ? false : `${REFERENCE} is absent` }, () => {
  const cli = new CliScratch();
  after(() => cli.cleanup());

  // Q4_0 is left out: llama.cpp multiplies it against activations rounded to 8 bits, which flips a
  // near tie after 20 tokens; its NLL agrees within 0.02 % (ppl-gguf.test.ts).
  for (const file of ['shakespeare-5m-f32.gguf', 'shakespeare-5m-q4_k_m.gguf']) {
    it(`run ${file} --prompt gives llama.cpp's greedy ids`, async () => {
      const expected = reference!.files[file]!.llama_cpp_greedy_ids;
      const result = await cli.hearth(['run', join(GGUF_DIR, file), '--prompt', reference!.prompt, '--max-new-tokens', String(expected.length), '--json']);
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual((JSON.parse(lastLine(result.stdout)) as { ids: number[] }).ids, expected);
    });
  }

  it('build FILE.gguf --out writes a built folder with the tokenizer and chat template from the metadata', async () => {
    const out = join(await cli.dir(), 'built-q8_0');
    const result = await cli.hearth(['build', join(GGUF_DIR, 'shakespeare-5m-q8_0.gguf'), '--out', out, '--dtype', 'fp32']);
    assert.equal(result.code, 0, result.stderr);
    const manifest = JSON.parse(await readFile(join(out, 'hearth.json'), 'utf8')) as { spec: { architecture: string; numLayers: number } };
    assert.equal(manifest.spec.architecture, 'llama');
    assert.equal(manifest.spec.numLayers, 6);
    const tokenizer = JSON.parse(await readFile(join(out, 'tokenizer.json'), 'utf8')) as { model: { vocab: Record<string, number> } };
    assert.equal(tokenizer.model.vocab['<|im_start|>'], 1);
    const config = JSON.parse(await readFile(join(out, 'tokenizer_config.json'), 'utf8')) as { chat_template?: string };
    assert.match(config.chat_template ?? '', /<\|im_start\|>/);
  });

  it('plan FILE.gguf reads the model from the metadata', async () => {
    const result = await cli.hearth(['plan', join(GGUF_DIR, 'shakespeare-5m-q4_0.gguf'), '--json']);
    assert.equal(result.code, 0, result.stderr);
    const plan = JSON.parse(lastLine(result.stdout)) as { architecture: string; parameters: number };
    assert.equal(plan.architecture, 'llama');
    assert.ok(plan.parameters > 4e6 && plan.parameters < 6e6, `${plan.parameters} parameters`);
  });

  it('--dtype on a GGUF file says that it requantizes', async () => {
    const file = join(GGUF_DIR, 'shakespeare-5m-q4_0.gguf');
    const result = await cli.hearth(['run', file, '--ids', '1,2,3', '--max-new-tokens', '2', '--dtype', 'int8', '--json']);
    assert.equal(result.code, 0, result.stderr);
    assert.ok(result.stderr.includes(`--dtype int8 requantizes ${file}: its weights are decoded and quantized again to int8`), result.stderr);
  });

  it('a .gguf file that is not GGUF is refused with the file and the problem', async () => {
    const bad = join(await cli.dir(), 'bad.gguf');
    await writeFile(bad, 'not a model at all');
    const result = await cli.hearth(['run', bad, '--ids', '1,2']);
    assert.equal(result.code, 1, result.stderr);
    assert.ok(result.stderr.includes(`${bad}: is not a GGUF file: it starts with "not ", not "GGUF"`), result.stderr);
  });
});
