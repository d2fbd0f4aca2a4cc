// A corpus of corrupt model folders and files, each made by damaging a copy of the bundled demo
// model (or written here, for GGUF), run through the real import (the library service over a real
// SQLite store). Damage to the config or the weights also goes through the engine's build, and a
// file given for a folder through the command line's model argument (the hearth command itself is
// in main/cli/commands/corrupt-model-refusal.test.ts). Each must be refused with an error that
// names the damaged file and the problem, and leave the library as it was; afterwards a good
// import still works and the library survives a restart.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { cp, open, readFile, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiError } from '../common/contracts/api-error.ts';
import type { ModelSummary } from '../common/contracts/models.ts';
import { buildModel } from '../engine/builder/build-model.ts';
import { resolveBuiltModel } from '../engine/built-model-cache.ts';
import { GgufError } from '../engine/gguf/gguf-file.ts';
import { isGgufPath } from '../engine/gguf/gguf-model-source.ts';
import { BUNDLED_MODEL_DIR, openTestServices, scratchDir, type TestServices } from './services-test-support.ts';

const SHARED_GGUF = fileURLToPath(new URL('../../../shared/fixtures/gguf/shakespeare-5m-q4_0.gguf', import.meta.url));
const WEIGHTS = 'model.safetensors';
const CONFIG = 'config.json';
const TOKENIZER = 'tokenizer.json';
const TOKENIZER_CONFIG = 'tokenizer_config.json';
const INDEX = 'model.safetensors.index.json';

type Header = Record<string, { dtype: string; shape: number[]; data_offsets: number[] } | Record<string, string>>;

async function readHeader(path: string): Promise<{ header: Header; data: Buffer }> {
  const bytes = await readFile(path);
  const length = Number(bytes.readBigUInt64LE(0));
  return { header: JSON.parse(bytes.subarray(8, 8 + length).toString('utf8')) as Header, data: bytes.subarray(8 + length) };
}

/** Rewrites a safetensors file with its header changed by `change` and the same data section. */
async function rewriteHeader(path: string, change: (header: Header, dataLength: number) => void): Promise<void> {
  const { header, data } = await readHeader(path);
  change(header, data.length);
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  await writeFile(path, Buffer.concat([length, json, data]));
}

function tensor(header: Header, name: string): { dtype: string; shape: number[]; data_offsets: number[] } {
  return header[name] as { dtype: string; shape: number[]; data_offsets: number[] };
}

/** Overwrites bytes in place. */
async function overwrite(path: string, position: number, bytes: Buffer): Promise<void> {
  const handle = await open(path, 'r+');
  await handle.write(bytes, 0, bytes.length, position);
  await handle.close();
}

async function editJson(path: string, change: (json: Record<string, unknown>) => void): Promise<void> {
  const json = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  change(json);
  await writeFile(path, JSON.stringify(json));
}

const editConfig = (change: (config: Record<string, unknown>) => void) => (dir: string) => editJson(join(dir, CONFIG), change);

/** A GGUF file: magic, version, tensor and metadata counts (little-endian), then `extra`. */
function ggufBytes(magic: string, extra: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(24);
  head.write(magic, 0, 'latin1');
  head.writeUInt32LE(3, 4);
  head.writeBigUInt64LE(3n, 8);
  head.writeBigUInt64LE(2n, 16);
  return Buffer.concat([head, extra]);
}

/** Splits the demo model's weights across two shards listed by an index (the single file removed). */
async function shardWeights(dir: string, mapping: (name: string) => string): Promise<void> {
  const { header } = await readHeader(join(dir, WEIGHTS));
  await rename(join(dir, WEIGHTS), join(dir, 'model-00001-of-00002.safetensors'));
  const weightMap = Object.fromEntries(Object.keys(header).filter((n) => n !== '__metadata__').map((n) => [n, mapping(n)]));
  await writeFile(join(dir, INDEX), JSON.stringify({ metadata: {}, weight_map: weightMap }));
}

interface CorruptCase {
  name: string;
  /** Damages the copy of the demo model in `dir`; returns the path to import when it is not `dir`. */
  damage(dir: string): Promise<string | void>;
  /** The file the error must name, relative to the case folder. */
  file: string;
  /** The problem the error must state. */
  problem: RegExp;
  /** The engine's build reads config and weights too: it must refuse the folder the same way. */
  engine?: boolean;
}

const EMBED = 'model.embed_tokens.weight';
const Q_PROJ = 'model.layers.2.self_attn.q_proj.weight';

const CASES: CorruptCase[] = [
  // safetensors
  { name: 'weights truncated to half', damage: async (d) => truncate(join(d, WEIGHTS), 4_000_000), file: WEIGHTS, problem: /is truncated: tensor ".*" ends at data byte \d+ but the data section has only \d+ bytes/, engine: true },
  { name: 'empty weights file', damage: (d) => writeFile(join(d, WEIGHTS), ''), file: WEIGHTS, problem: /is truncated: 0 bytes, too short for the 8-byte safetensors header length/, engine: true },
  { name: '8-byte weights file (header length 0)', damage: (d) => writeFile(join(d, WEIGHTS), Buffer.alloc(8)), file: WEIGHTS, problem: /safetensors header that is not valid JSON/, engine: true },
  {
    name: 'header length past the end of the file',
    damage: async (d) => {
      const length = Buffer.alloc(8);
      length.writeBigUInt64LE(50_000_000n);
      await overwrite(join(d, WEIGHTS), 0, length);
    },
    file: WEIGHTS,
    problem: /header claims 50000000 bytes but the file has only \d+ bytes after the length field/,
    engine: true,
  },
  { name: 'header not JSON', damage: (d) => overwrite(join(d, WEIGHTS), 8, Buffer.from('{"model.embed_tokens.weight": nonsense')), file: WEIGHTS, problem: /safetensors header that is not valid JSON/, engine: true },
  { name: 'header not UTF-8', damage: (d) => overwrite(join(d, WEIGHTS), 12, Buffer.from([0xff, 0xfe, 0xfd])), file: WEIGHTS, problem: /safetensors header that is not valid JSON \(.*utf-8/i, engine: true },
  {
    name: 'header a JSON array',
    damage: async (d) => {
      const length = Number((await readFile(join(d, WEIGHTS))).readBigUInt64LE(0));
      await overwrite(join(d, WEIGHTS), 8, Buffer.from('[1]'.padEnd(length, ' ')));
    },
    file: WEIGHTS,
    problem: /invalid safetensors header: the header is not a JSON object/,
    engine: true,
  },
  {
    name: 'two tensors overlapping',
    damage: (d) => rewriteHeader(join(d, WEIGHTS), (h) => (tensor(h, 'model.layers.0.input_layernorm.weight').data_offsets = [512, 1024])),
    file: WEIGHTS,
    problem: /the data of tensors "model\.embed_tokens\.weight" and "model\.layers\.0\.input_layernorm\.weight" overlap/,
    engine: true,
  },
  {
    name: 'a tensor placed past the end of the data',
    damage: (d) => rewriteHeader(join(d, WEIGHTS), (h, length) => (tensor(h, 'model.norm.weight').data_offsets = [length + 64, length + 64 + 512])),
    file: WEIGHTS,
    problem: /is truncated: tensor "model\.norm\.weight" ends at data byte \d+ but the data section has only \d+ bytes/,
    engine: true,
  },
  { name: 'data_offsets reversed', damage: (d) => rewriteHeader(join(d, WEIGHTS), (h) => tensor(h, EMBED).data_offsets.reverse()), file: WEIGHTS, problem: /tensor "model\.embed_tokens\.weight" has data_offsets \[524288,0\], not \[begin, end\]/, engine: true },
  { name: 'unknown dtype string', damage: (d) => rewriteHeader(join(d, WEIGHTS), (h) => (tensor(h, EMBED).dtype = 'float16')), file: WEIGHTS, problem: /tensor "model\.embed_tokens\.weight" has dtype "float16", which Hearth cannot read/, engine: true },
  { name: 'an integer dtype for a weight', damage: (d) => rewriteHeader(join(d, WEIGHTS), (h) => (tensor(h, Q_PROJ).dtype = 'I16')), file: WEIGHTS, problem: /tensor "model\.layers\.2\.self_attn\.q_proj\.weight" is I16, but a weight must be F32, F16 or BF16/, engine: true },
  { name: 'shape × dtype not the byte length', damage: (d) => rewriteHeader(join(d, WEIGHTS), (h) => (tensor(h, EMBED).shape = [1024, 255])), file: WEIGHTS, problem: /tensor "model\.embed_tokens\.weight" \(F16, shape \[1024, 255\]\) needs 522240 bytes but its data_offsets span 524288/, engine: true },
  { name: 'a negative dimension', damage: (d) => rewriteHeader(join(d, WEIGHTS), (h) => (tensor(h, EMBED).shape = [-1024, -256])), file: WEIGHTS, problem: /tensor "model\.embed_tokens\.weight" has shape \[-1024,-256\], not a list of non-negative integers/, engine: true },
  { name: '__metadata__ not an object', damage: (d) => rewriteHeader(join(d, WEIGHTS), (h) => (h.__metadata__ = 'pt' as unknown as Record<string, string>)), file: WEIGHTS, problem: /"__metadata__" is not an object/, engine: true },
  {
    name: 'a layer tensor renamed away',
    damage: (d) =>
      rewriteHeader(join(d, WEIGHTS), (h) => {
        h['model.layers.3.mlp.up_proj.weightX'] = h['model.layers.3.mlp.up_proj.weight'];
        delete h['model.layers.3.mlp.up_proj.weight'];
      }),
    file: WEIGHTS,
    problem: /has no tensor "model\.layers\.3\.mlp\.up_proj\.weight" or "layers\.3\.mlp\.up_proj\.weight".*implies it as layers\.3\.up\.weight, shape \[704 = intermediate size, 256 = hidden size\]/,
    engine: true,
  },
  {
    name: 'a projection reshaped (same bytes, wrong shape)',
    damage: (d) => rewriteHeader(join(d, WEIGHTS), (h) => (tensor(h, Q_PROJ).shape = [128, 512])),
    file: WEIGHTS,
    problem: /tensor "model\.layers\.2\.self_attn\.q_proj\.weight" has shape \[128, 512\] \(layers\.2\.q\.weight\), but .*config\.json implies \[256, 256\]: its dimension 0 is 128 where config\.json's heads × head_dim \(8 × 32\) gives 256, and its dimension 1 is 512 where config\.json's hidden size gives 256/,
    engine: true,
  },
  // config.json
  { name: 'config.json not JSON', damage: (d) => writeFile(join(d, CONFIG), '{"model_type": "llama",'), file: CONFIG, problem: /is not valid JSON/, engine: true },
  { name: 'config.json a JSON array', damage: (d) => writeFile(join(d, CONFIG), '[]'), file: CONFIG, problem: /has no "model_type" string, so the architecture is unknown/, engine: true },
  { name: 'model_type missing', damage: editConfig((c) => delete c.model_type), file: CONFIG, problem: /has no "model_type" string/, engine: true },
  { name: 'model_type unknown', damage: editConfig((c) => (c.model_type = 'falcon')), file: CONFIG, problem: /model_type "falcon" is not supported by Hearth \(supported: llama/, engine: true },
  { name: 'hidden_size negative', damage: editConfig((c) => (c.hidden_size = -256)), file: CONFIG, problem: /is not a valid llama config:\n {2}- hidden_size: Too small/, engine: true },
  { name: 'num_attention_heads zero', damage: editConfig((c) => (c.num_attention_heads = 0)), file: CONFIG, problem: /- num_attention_heads: Too small/, engine: true },
  { name: 'vocab_size a string', damage: editConfig((c) => (c.vocab_size = '1024')), file: CONFIG, problem: /- vocab_size: Invalid input: expected number, received string/, engine: true },
  { name: 'intermediate_size fractional', damage: editConfig((c) => (c.intermediate_size = 704.5)), file: CONFIG, problem: /- intermediate_size: Invalid input: expected int, received number/, engine: true },
  {
    name: 'num_hidden_layers a billion against 6',
    damage: editConfig((c) => (c.num_hidden_layers = 1_000_000_000)),
    file: CONFIG,
    problem: /gives num_hidden_layers = 1000000000, but the weights \(.*model\.safetensors\) hold 6 layers \(0 to 5\)\. If the weights are right, set num_hidden_layers to 6 in config\.json/,
    engine: true,
  },
  { name: 'num_hidden_layers 3 against 6', damage: editConfig((c) => (c.num_hidden_layers = 3)), file: CONFIG, problem: /gives num_hidden_layers = 3, but the weights .* hold 6 layers \(0 to 5\); the extra ones would be ignored\. If the weights are right, set num_hidden_layers to 6/, engine: true },
  {
    name: 'vocab_size 10 against a 1,024-row embedding',
    damage: editConfig((c) => (c.vocab_size = 10)),
    file: WEIGHTS,
    problem: /tensor "model\.embed_tokens\.weight" has shape \[1024, 256\] \(embed\), but .*config\.json implies \[10, 256\]: its dimension 0 is 1024 where config\.json's vocab size gives 10/,
    engine: true,
  },
  { name: 'hidden_size huge', damage: editConfig((c) => (c.hidden_size = 1e12)), file: WEIGHTS, problem: /tensor "model\.embed_tokens\.weight" has shape \[1024, 256\].*its dimension 1 is 256 where config\.json's hidden size gives 1000000000000/, engine: true },
  {
    name: 'heads not dividing the hidden size (no head_dim)',
    damage: editConfig((c) => {
      delete c.head_dim;
      c.num_attention_heads = 6;
      c.num_key_value_heads = 2;
    }),
    file: WEIGHTS,
    problem: /tensor "model\.layers\.0\.self_attn\.q_proj\.weight" has shape \[256, 256\].*its dimension 0 is 256 where config\.json's heads × head_dim \(6 × 42\) gives 252/,
    engine: true,
  },
  { name: 'heads not a multiple of key/value heads', damage: editConfig((c) => (c.num_key_value_heads = 3)), file: CONFIG, problem: /num_attention_heads \(8\) must be a multiple of num_key_value_heads \(3\)/, engine: true },
  { name: 'num_key_value_heads against k_proj', damage: editConfig((c) => (c.num_key_value_heads = 8)), file: WEIGHTS, problem: /tensor "model\.layers\.0\.self_attn\.k_proj\.weight" has shape \[128, 256\].*key\/value heads × head_dim \(8 × 32\) gives 256/, engine: true },
  { name: 'intermediate_size against the MLP', damage: editConfig((c) => (c.intermediate_size = 700)), file: WEIGHTS, problem: /tensor "model\.layers\.0\.mlp\.gate_proj\.weight" has shape \[704, 256\].*intermediate size gives 700/, engine: true },
  { name: 'untied head with no lm_head', damage: editConfig((c) => (c.tie_word_embeddings = false)), file: WEIGHTS, problem: /no tensor "lm_head\.weight".*lmHead \(its own output head, because tie_word_embeddings is false\)/, engine: true },
  { name: 'unsupported RoPE scaling', damage: editConfig((c) => (c.rope_parameters = { rope_type: 'yarn', factor: 4, rope_theta: 10000 })), file: CONFIG, problem: /RoPE scaling type "yarn" .* is not supported by Hearth/, engine: true },
  { name: 'generation_config.json not JSON', damage: (d) => writeFile(join(d, 'generation_config.json'), '{"eos_token_id": [2,'), file: 'generation_config.json', problem: /is not valid JSON/, engine: true },
  // tokenizer
  { name: 'tokenizer.json missing', damage: (d) => rm(join(d, TOKENIZER)), file: TOKENIZER, problem: /is missing\. A tokenizer folder needs tokenizer\.json/ },
  { name: 'tokenizer.json not JSON', damage: (d) => writeFile(join(d, TOKENIZER), '{"model": {'), file: TOKENIZER, problem: /is not valid JSON/ },
  { name: 'tokenizer.json without a model', damage: (d) => editJson(join(d, TOKENIZER), (t) => delete t.model), file: TOKENIZER, problem: /has no "model" section/ },
  {
    name: 'tokenizer ids beyond the embedding',
    damage: (d) =>
      editJson(join(d, TOKENIZER), (t) => {
        (t.added_tokens as object[]).push({ id: 2047, content: '<|extra|>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
      }),
    file: TOKENIZER,
    problem: /has token ids up to 2047, but the model's embedding \(vocab_size in config\.json\) has only 1024 rows/,
  },
  {
    name: 'tokenizer model of an unknown type',
    damage: (d) => editJson(join(d, TOKENIZER), (t) => (t.model = { type: 'Nope' })),
    file: '',
    problem: /: the tokenizer could not be built from tokenizer\.json and tokenizer_config\.json: Unknown TokenizerModel type: Nope/,
  },
  { name: 'tokenizer_config.json not JSON', damage: (d) => writeFile(join(d, TOKENIZER_CONFIG), '{"eos_token": '), file: TOKENIZER_CONFIG, problem: /is not valid JSON/ },
  { name: 'tokenizer_config.json missing', damage: (d) => rm(join(d, TOKENIZER_CONFIG)), file: TOKENIZER_CONFIG, problem: /is missing/ },
  { name: 'eos_token not in the tokenizer', damage: (d) => editJson(join(d, TOKENIZER_CONFIG), (c) => (c.eos_token = '</s>')), file: TOKENIZER_CONFIG, problem: /names eos_token "<\/s>", which tokenizer\.json does not contain/ },
  {
    name: 'chat template that does not parse',
    damage: (d) => editJson(join(d, TOKENIZER_CONFIG), (c) => (c.chat_template = '{% for m in messages %}{{ m.content ')),
    file: '',
    problem: /could not be built from tokenizer\.json and tokenizer_config\.json: The chat template could not be parsed/,
  },
  // sharded checkpoints
  {
    name: 'index pointing to a missing shard',
    damage: (d) => shardWeights(d, (n) => (n === 'model.norm.weight' ? 'model-00002-of-00002.safetensors' : 'model-00001-of-00002.safetensors')),
    file: INDEX,
    problem: /lists shard model-00002-of-00002\.safetensors \(holding "model\.norm\.weight" among others\), but .* does not exist/,
    engine: true,
  },
  {
    name: 'index naming a tensor its shard lacks',
    damage: async (d) => {
      await shardWeights(d, () => 'model-00001-of-00002.safetensors');
      await editJson(join(d, INDEX), (i) => ((i.weight_map as Record<string, string>)['model.layers.9.mlp.up_proj.weight'] = 'model-00001-of-00002.safetensors'));
    },
    file: INDEX,
    problem: /says tensor "model\.layers\.9\.mlp\.up_proj\.weight" is in model-00001-of-00002\.safetensors, but that shard has no such tensor/,
    engine: true,
  },
  {
    name: 'two shards holding the same tensor',
    damage: async (d) => {
      await shardWeights(d, (n) => (n === EMBED ? 'model-00002-of-00002.safetensors' : 'model-00001-of-00002.safetensors'));
      await cp(join(d, 'model-00001-of-00002.safetensors'), join(d, 'model-00002-of-00002.safetensors'));
    },
    file: 'model-00001-of-00002.safetensors',
    problem: /Tensor ".*" is in both .*model-0000[12]-of-00002\.safetensors and .*model-0000[12]-of-00002\.safetensors\. The folder mixes two checkpoints/,
    engine: true,
  },
  { name: 'index not JSON', damage: (d) => writeFile(join(d, INDEX), '{"weight_map": '), file: INDEX, problem: /is not valid JSON/ },
  // GGUF and other formats
  {
    name: 'a GGUF file given instead of a folder',
    damage: async (d) => {
      await writeFile(join(d, 'model.gguf'), ggufBytes('GGUF', Buffer.alloc(64)));
      return join(d, 'model.gguf');
    },
    file: 'model.gguf',
    problem: /its tensor count is 3, more than the \d+ bytes left in the file can hold\. The file is damaged or truncated/,
  },
  {
    name: 'a .gguf file with the wrong magic',
    damage: async (d) => {
      await writeFile(join(d, 'broken.gguf'), ggufBytes('GGML'));
      return join(d, 'broken.gguf');
    },
    file: 'broken.gguf',
    problem: /is not a GGUF file: it starts with "GGML", not "GGUF"/,
  },
  {
    name: 'a truncated GGUF header, renamed',
    damage: async (d) => {
      await writeFile(join(d, 'weights.bin'), ggufBytes('GGUF').subarray(0, 6));
      return join(d, 'weights.bin');
    },
    file: 'weights.bin',
    problem: /ends at byte 6 inside its header .* The file is truncated/,
  },
  {
    name: 'a folder holding only a GGUF file',
    damage: async (d) => {
      for (const file of [CONFIG, WEIGHTS, TOKENIZER, TOKENIZER_CONFIG, 'generation_config.json']) await rm(join(d, file));
      await writeFile(join(d, 'model-q4_0.gguf'), ggufBytes('GGUF'));
    },
    file: 'model-q4_0.gguf',
    problem: /is a GGUF model, and .* has no config\.json, so it is not a Hugging Face folder\. Import the file .* itself/,
  },
  {
    name: 'PyTorch .bin weights instead of safetensors',
    damage: async (d) => {
      await rm(join(d, WEIGHTS));
      await writeFile(join(d, 'pytorch_model.bin'), Buffer.alloc(16));
    },
    file: '',
    problem: /has neither model\.safetensors nor model\.safetensors\.index\.json\. It holds PyTorch \.bin\/\.pt weights, which Hearth does not load/,
    engine: true,
  },
];

let t: TestServices;
let scratch: { dir: string; remove(): Promise<void> };
let heldBefore: ModelSummary[];
before(async () => {
  t = await openTestServices();
  scratch = await scratchDir('hearth-corrupt-');
  // The library holds a user's model as well as the demo, so "nothing lost" means something.
  const own = join(scratch.dir, 'own-model');
  await cp(BUNDLED_MODEL_DIR, own, { recursive: true });
  await t.services.handlers['models.import']({ path: own, name: 'Own model' });
  heldBefore = await t.services.handlers['models.list']({});
});
after(async () => {
  await t.cleanup();
  await scratch.remove();
});

async function importError(path: string): Promise<ApiError> {
  try {
    await t.services.handlers['models.import']({ path });
  } catch (error) {
    assert.ok(error instanceof ApiError, `expected an ApiError, got ${String(error)}`);
    return error;
  }
  assert.fail(`importing ${path} should have failed`);
}

describe(`${CASES.length} corrupt models are refused at import with the file and the problem named`, () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const dir = join(scratch.dir, c.name.replace(/[^a-z0-9]+/gi, '-'));
      await cp(BUNDLED_MODEL_DIR, dir, { recursive: true });
      const path = (await c.damage(dir)) ?? dir;
      try {
        const error = await importError(path);
        assert.equal(error.code, 'model-invalid', error.message);
        assert.ok(error.message.includes(join(dir, c.file)), `the message names ${join(dir, c.file)}: ${error.message}`);
        assert.match(error.message, c.problem);
        assert.deepEqual(await t.services.handlers['models.list']({}), heldBefore, 'the library holds what it held');
        if (path !== dir) {
          // A file where a folder belongs: the command line's model argument refuses it too; a
          // GGUF file (by its name or its first bytes) it reads as GGUF, and refuses with what is wrong inside it.
          const refusal = isGgufPath(path)
            ? (e: unknown) => e instanceof GgufError && e.message.startsWith(`${path}: `) && /not a GGUF file|more than the \d+ bytes left|truncated/.test(e.message)
            : (e: unknown) => e instanceof Error && e.message === `${path} is a file; give the model's folder (or a .gguf file) instead.`;
          await assert.rejects(resolveBuiltModel(path, { cacheRoot: join(scratch.dir, 'cache') }), refusal);
        }
        if (c.engine) {
          const out = join(scratch.dir, 'built');
          await assert.rejects(buildModel(dir, out, { precision: 'fp32' }), (e: unknown) => e instanceof Error && c.problem.test(e.message));
          assert.equal(existsSync(join(out, 'hearth.json')), false, 'no build is left behind');
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }

  it('accepts the real GGUF conversion of the demo model: only damaged files are refused', { skip: existsSync(SHARED_GGUF) ? false : `${SHARED_GGUF} is absent` }, async () => {
    const imported = await t.services.handlers['models.import']({ path: SHARED_GGUF });
    assert.equal(imported.gguf?.fileType, 'Q4_0');
    await t.services.handlers['models.delete']({ modelId: imported.id });
    assert.deepEqual(await t.services.handlers['models.list']({}), heldBefore);
  });

  it('keeps working: a good import succeeds afterwards, and the library survives a restart', async () => {
    const good = join(scratch.dir, 'good-after');
    await cp(BUNDLED_MODEL_DIR, good, { recursive: true });
    const imported = await t.services.handlers['models.import']({ path: good, name: 'After the corpus' });
    assert.equal(imported.architecture, 'llama');
    const held = await t.services.handlers['models.list']({});
    assert.deepEqual(held.map((m) => m.id).sort(), [...heldBefore.map((m) => m.id), imported.id].sort());

    await t.services.close();
    t = await openTestServices(undefined, t.dataDir);
    assert.deepEqual((await t.services.handlers['models.list']({})).map((m) => m.id).sort(), held.map((m) => m.id).sort());
  });
});
