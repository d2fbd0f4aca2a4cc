// Which files a download fetches, from a repository's tree: a Hugging Face folder's config,
// tokenizer and safetensors (sharded through the index), a GGUF pick, and the refusals.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { planDownload, safetensorsIndexShards } from './download-plan.ts';
import type { HubTreeFile } from './hub-client.ts';
import { HubError } from './hub-error.ts';

function tree(...entries: [string, number, boolean?][]): HubTreeFile[] {
  return entries.map(([path, size, lfs]) => ({ path, size, gitOid: 'a'.repeat(40), sha256: lfs ? 'b'.repeat(64) : null }));
}

function nothingUsable(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof HubError && error.kind === 'nothing-usable', String(error));
    return error.message;
  }
  assert.fail('expected a nothing-usable HubError');
}

describe('planDownload', () => {
  it('takes config, generation config, tokenizer files and model.safetensors; leaves the rest, saying why for other weights', () => {
    const plan = planDownload(
      'org/model',
      tree(
        ['config.json', 700],
        ['generation_config.json', 100],
        ['tokenizer.json', 50_000],
        ['tokenizer_config.json', 900],
        ['special_tokens_map.json', 400],
        ['tokenizer.model', 500_000, true],
        ['chat_template.jinja', 300],
        ['model.safetensors', 9_000_000, true],
        ['pytorch_model.bin', 9_000_000, true],
        ['tf_model.h5', 9_000_000, true],
        ['flax_model.msgpack', 9_000_000, true],
        ['onnx/model.onnx', 9_000_000, true],
        ['README.md', 3000],
        ['.gitattributes', 1500],
      ),
    );
    assert.equal(plan.kind, 'safetensors');
    assert.ok(plan.kind === 'safetensors');
    assert.deepEqual(plan.files.map((f) => f.path).sort(), ['chat_template.jinja', 'config.json', 'generation_config.json', 'model.safetensors', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer.model', 'tokenizer_config.json']);
    assert.equal(plan.totalBytes, 700 + 100 + 50_000 + 900 + 400 + 500_000 + 300 + 9_000_000);
    assert.deepEqual(plan.skipped.map((s) => s.path), ['pytorch_model.bin', 'tf_model.h5', 'flax_model.msgpack']);
    assert.match(plan.skipped[0].reason, /pickle .* can run code/);
    assert.equal(plan.files.find((f) => f.path === 'model.safetensors')?.sha256, 'b'.repeat(64));
  });

  it('takes the shards the index names, not a consolidated copy of the same weights', () => {
    const files = tree(['config.json', 700], ['model.safetensors.index.json', 2000], ['model-00001-of-00002.safetensors', 5e9, true], ['model-00002-of-00002.safetensors', 3e9, true], ['consolidated.safetensors', 8e9, true]);
    const shards = safetensorsIndexShards({ weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors', c: 'model-00001-of-00002.safetensors' } });
    assert.deepEqual(shards, ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
    const plan = planDownload('org/big', files, { indexShards: shards });
    assert.ok(plan.kind === 'safetensors');
    assert.deepEqual(plan.files.map((f) => f.path), ['config.json', 'model.safetensors.index.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
    // Without the index read, the sharded names still win over the consolidated file.
    const guessed = planDownload('org/big', files);
    assert.ok(guessed.kind === 'safetensors');
    assert.ok(!guessed.files.some((f) => f.path === 'consolidated.safetensors'));
    assert.match(nothingUsable(() => planDownload('org/big', files, { indexShards: ['model-00003-of-00003.safetensors'] })), /names shards the repository does not have \(model-00003-of-00003\.safetensors\)/);
  });

  it('offers GGUF files to pick from (smallest first), takes one picked by name, and takes a lone one', () => {
    const ggufs = tree(['README.md', 100], ['model-Q8_0.gguf', 8e8, true], ['model-Q4_K_M.gguf', 4e8, true], ['model-F16.gguf', 1.6e9, true]);
    const choice = planDownload('org/gguf', ggufs);
    assert.ok(choice.kind === 'gguf-choice');
    assert.deepEqual(choice.choices.map((c) => c.path), ['model-Q4_K_M.gguf', 'model-Q8_0.gguf', 'model-F16.gguf']);
    const picked = planDownload('org/gguf', ggufs, { files: ['model-Q8_0.gguf'] });
    assert.ok(picked.kind === 'gguf');
    assert.deepEqual(picked.files.map((f) => f.path), ['model-Q8_0.gguf']);
    const lone = planDownload('org/one', tree(['model-Q4_0.gguf', 4e8, true]));
    assert.ok(lone.kind === 'gguf');
    assert.match(nothingUsable(() => planDownload('org/gguf', ggufs, { files: ['model-Q2_K.gguf'] })), /org\/gguf has no file 'model-Q2_K\.gguf'; it has README\.md, model-Q8_0\.gguf/);
  });

  it('refuses a repository with nothing usable, naming what it has and why each weights file is skipped', () => {
    const message = nothingUsable(() => planDownload('org/pickles', tree(['config.json', 700], ['pytorch_model.bin', 5e8, true], ['README.md', 100])));
    assert.match(message, /org\/pickles has no \.safetensors weights and no GGUF file/);
    assert.match(message, /Skipped: pytorch_model\.bin \(PyTorch pickle weights/);
    assert.match(message, /Look for a version of this model with \.safetensors or \.gguf files/);
    assert.match(nothingUsable(() => planDownload('org/empty', [])), /it has no files/);
    assert.match(nothingUsable(() => planDownload('org/noconfig', tree(['model.safetensors', 100, true]))), /no config\.json at its top level/);
  });
});
