import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { F32Tensor } from '../../common/model-spec.ts';
import { openModelSource, type ModelSource } from '../architectures/model-source.ts';
import { specWeightNames } from '../architectures/spec-weights.ts';
import { ggmlBlocksOf } from './ggml-block-weight.ts';
import { dequantizeGgml } from './ggml-dequantize.ts';
import { GgufError, GgufValueType } from './gguf-file.ts';
import { openGgufModelSource } from './gguf-model-source.ts';
import { convertHfFolderToGguf, llama3RopeFactors, type ConvertedArchitecture } from './test/hf-to-gguf.ts';
import { ggufFileBytes, meta, writeGgufFile, type GgufToWrite } from './test/gguf-writer.ts';
import { writeFile } from 'node:fs/promises';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const SHARED = join(REPO, '..', 'shared', 'fixtures');
const TESTDATA = join(REPO, 'main', 'engine', 'architectures', 'testdata');

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hearth-gguf-source-'));
});
after(() => rm(dir, { recursive: true, force: true }));

function sameBits(a: F32Tensor, b: F32Tensor, name: string): void {
  assert.deepEqual(a.shape, b.shape, `${name}: shape`);
  const x = new Uint32Array(a.data.buffer, a.data.byteOffset, a.data.length);
  const y = new Uint32Array(b.data.buffer, b.data.byteOffset, b.data.length);
  const differs = x.findIndex((v, i) => v !== y[i]);
  assert.equal(differs, -1, `${name}: element ${differs} is ${a.data[differs]} from the GGUF file, ${b.data[differs]} from the folder`);
}

/** Every weight the spec implies is bit-equal in both sources, and the specs are equal (but for the end-of-generation ids when `eos` is given). */
async function assertSameModel(gguf: ModelSource, folder: ModelSource, eos?: number[]): Promise<void> {
  if (eos) {
    assert.deepEqual(gguf.spec.eosTokenIds, eos);
    assert.deepEqual({ ...gguf.spec, eosTokenIds: [] }, { ...folder.spec, eosTokenIds: [] });
  } else {
    assert.deepEqual(gguf.spec, folder.spec);
  }
  for (const name of specWeightNames(folder.spec)) {
    const a = await gguf.weight(name);
    const b = await folder.weight(name);
    if (a === null || b === null) {
      assert.equal(a, b, `${name}: present in one source only`);
      continue;
    }
    sameBits(a, b, name);
  }
}

describe('a GGUF file converted as llama.cpp converts a Hugging Face folder is the same model', () => {
  const cases: [string, string, ConvertedArchitecture, boolean][] = [
    ['the demo model (llama, F16, rotary rows interleaved)', join(REPO, 'resources', 'models', 'shakespeare-5m'), 'llama', true],
    ['hf-tiny llama', join(SHARED, 'hf-tiny', 'llama'), 'llama', false],
    ['llama with Llama 3 rope scaling (stored as rope_freqs)', join(TESTDATA, 'llama3_rope'), 'llama', false],
    ['hf-tiny qwen2 (q/k/v biases, tied)', join(SHARED, 'hf-tiny', 'qwen2'), 'qwen2', false],
    ['qwen3 (q/k norms)', join(TESTDATA, 'qwen3'), 'qwen3', false],
    ['gemma (norms stored as 1 + weight)', join(TESTDATA, 'gemma'), 'gemma', false],
    ['phi3 (fused qkv and gate_up)', join(TESTDATA, 'phi3'), 'phi3', false],
    ['hf-tiny gpt2 (Conv1D weights stored transposed, tied head written twice)', join(SHARED, 'hf-tiny', 'gpt2'), 'gpt2', false],
    ['gpt_neox (q/k/v restacked from per-head rows, partial rotary, parallel residual)', join(TESTDATA, 'gpt_neox'), 'gptneox', false],
    ['gpt_neox_seq (sequential residual)', join(TESTDATA, 'gpt_neox_seq'), 'gptneox', false],
    ['bloom (q/k/v restacked, embedding norm, tied head written twice)', join(TESTDATA, 'bloom'), 'bloom', false],
    ['hf-tiny mpt (ALiBi, no biases)', join(SHARED, 'hf-tiny', 'mpt'), 'mpt', false],
  ];
  for (const [name, folder, arch, f16] of cases) {
    it(name, { skip: existsSync(folder) ? false : `${folder} is absent` }, async () => {
      const path = join(dir, `${arch}-${Math.random().toString(36).slice(2)}.gguf`);
      await convertHfFolderToGguf(folder, path, arch, { f16 });
      const gguf = await openGgufModelSource(path);
      const hf = await openModelSource(folder);
      try {
        await assertSameModel(gguf, hf);
      } finally {
        await gguf.close();
        await hf.close();
      }
    });
  }
});

describe("llama.cpp's own F32 conversion of the demo model", () => {
  const gguf = join(SHARED, 'gguf', 'shakespeare-5m-f32.gguf');
  const folder = join(SHARED, 'shakespeare-5m');
  // Its end-of-generation ids are llama.cpp's: eos (<|im_end|>, 2) and <|endoftext|> (0), which llama.cpp ends at by name.
  it('holds the fp32 folder it came from: same spec, every weight bit-equal once the rotary rows are put back', { skip: existsSync(gguf) && existsSync(folder) ? false : `${gguf} or ${folder} is absent` }, async () => {
    const a = await openGgufModelSource(gguf);
    const b = await openModelSource(folder);
    try {
      await assertSameModel(a, b, [0, 2]);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe("a quantized file's weights carry their ggml blocks, in the rows the engine reads", () => {
  const gguf = join(SHARED, 'gguf', 'shakespeare-5m-q4_k_m.gguf');
  it('q and k (rows put back), v, down and the embedding decode from their blocks to exactly the weight served', { skip: existsSync(gguf) ? false : `${gguf} is absent` }, async () => {
    const source = await openGgufModelSource(gguf);
    try {
      for (const name of ['layers.0.q.weight', 'layers.0.k.weight', 'layers.0.v.weight', 'layers.0.down.weight', 'embed'] as const) {
        const tensor = (await source.weight(name))!;
        const blocks = ggmlBlocksOf(tensor);
        assert.ok(blocks, `${name} keeps its blocks`);
        sameBits({ data: dequantizeGgml(blocks.type, blocks.bytes, tensor.data.length), shape: tensor.shape }, tensor, name);
      }
      assert.equal(ggmlBlocksOf((await source.weight('finalNorm.weight'))!), null, 'a float32 norm has no blocks');
    } finally {
      await source.close();
    }
  });
});

describe('GGUF files Hearth cannot build are refused with the file and the reason', () => {
  const base = (): GgufToWrite => ({
    metadata: {
      'general.architecture': meta.str('llama'),
      'llama.block_count': meta.u32(1),
      'llama.embedding_length': meta.u32(32),
      'llama.feed_forward_length': meta.u32(64),
      'llama.attention.head_count': meta.u32(2),
      'tokenizer.ggml.tokens': meta.array(GgufValueType.STRING, ['a', 'b', 'c', 'd']),
    },
    tensors: [],
  });
  async function refusal(file: GgufToWrite): Promise<string> {
    const path = join(dir, `refused-${Math.random().toString(36).slice(2)}.gguf`);
    await writeGgufFile(path, file);
    try {
      const source = await openGgufModelSource(path);
      await source.close();
    } catch (error) {
      assert.ok(error instanceof Error && (error as GgufError).path === path && error.message.startsWith(path), `names ${path}: ${String(error)}`);
      return error.message;
    }
    assert.fail('the file should have been refused');
  }

  it('an architecture Hearth does not build, by name', async () => {
    const file = base();
    file.metadata['general.architecture'] = meta.str('falcon');
    assert.match(await refusal(file), /is a "falcon" model; Hearth builds GGUF files of the architectures llama, qwen2, qwen3, gemma, phi3, gpt2, gptneox, bloom, mpt\. Pick a model/);
    file.metadata['general.architecture'] = meta.str('toString');
    assert.match(await refusal(file), /is a "toString" model/);
    delete file.metadata['general.architecture'];
    assert.match(await refusal(file), /has no general\.architecture string/);
  });

  it('a missing or mistyped hyperparameter, by key', async () => {
    const file = base();
    delete file.metadata['llama.block_count'];
    assert.match(await refusal(file), /lacks the metadata llama\.block_count, which a llama model needs/);
    file.metadata['llama.block_count'] = meta.str('six');
    assert.match(await refusal(file), /metadata llama\.block_count is "six", not a number/);
  });

  it('rope_freqs that are not Llama 3 scaling, or on another architecture', async () => {
    const file = base();
    const factors = llama3RopeFactors(10000, 16, 8, 1, 4, 32);
    factors[1] = factors[1]! * 1.01;
    file.tensors.push({ name: 'rope_freqs.weight', dims: [8], type: 0, data: new Uint8Array(factors.buffer) });
    assert.match(await refusal(file), /holds rotary divisors \(rope_freqs\) that are not Llama 3's scaling \(divisor \d is [\d.]+; llama3 scaling with factor 8 gives/);
    file.metadata['general.architecture'] = meta.str('qwen2');
    for (const key of Object.keys(file.metadata)) if (key.startsWith('llama.')) file.metadata[key.replace('llama.', 'qwen2.')] = file.metadata[key]!;
    assert.match(await refusal(file), /holds per-frequency rotary divisors \(rope_freqs\.weight\), which Hearth reads only as a llama model's/);
  });

  it('weights that do not match the metadata', async () => {
    const file = base();
    assert.match(await refusal(file), /has no tensor .*model\.layers\.0\.input_layernorm\.weight|no layers at all/);
  });

  it('a file that is not GGUF at all, named .gguf', async () => {
    const path = join(dir, 'text.gguf');
    await writeFile(path, ggufFileBytes(base()).subarray(0, 10));
    await assert.rejects(openGgufModelSource(path), (e: unknown) => e instanceof GgufError && e.message.startsWith(`${path}: `) && /truncated/.test(e.message));
  });
});
