// A GGUF file built as downloaded (no --dtype): the file's own ggml blocks kept, not requantized.
// - The "done when": `hearth build` of the Q4_0 and Q4_K_M demo files writes a folder no
//   larger than 1.25× the file plus 1 MB (measured: 1.07× and 1.22×, before the allowance).
// - hearth.json records the file's type (sourceFormat) and lists it under the nearest precision.
// - `hearth run --prompt` gives llama.cpp's greedy ids on every demo file. On Q4_0 only the first
//   20: llama.cpp multiplies Q4_0 against activations it rounds to Q8_0 blocks with float16
//   scales, onnxruntime (accuracy level 4) to int8 blocks with float32 scales, and the 21st token
//   is a near tie that this flips (accuracy level 1 flips it too); the NLLs agree to 0.006 % (ppl-gguf.test.ts).
// Skips where ../shared is absent.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelManifest } from '../../common/model-manifest.ts';
import { CliScratch, REPO_ROOT, lastLine } from '../cli-test-support.ts';

const GGUF_DIR = join(REPO_ROOT, '..', 'shared', 'fixtures', 'gguf');
const REFERENCE = join(GGUF_DIR, 'reference.json');
const MB = 1024 * 1024;

interface Reference {
  prompt: string;
  files: Record<string, { llama_cpp_greedy_ids: number[] }>;
}
const reference: Reference | null = existsSync(REFERENCE) ? (JSON.parse(readFileSync(REFERENCE, 'utf8')) as Reference) : null;

/** How many of llama.cpp's greedy ids must match, where not all (see above). */
const MATCHED_PREFIX: Record<string, number> = { 'shakespeare-5m-q4_0.gguf': 20 };

function folderBytes(dir: string): number {
  return readdirSync(dir).reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);
}

describe('a GGUF file built as downloaded', { skip: reference ? false : `${REFERENCE} is absent` }, () => {
  const cli = new CliScratch();
  after(() => cli.cleanup());

  for (const [file, fileType, tensorTypes] of [
    ['shakespeare-5m-q4_0.gguf', 'Q4_0', { F32: 13, Q6_K: 1, Q4_0: 42 }],
    ['shakespeare-5m-q4_k_m.gguf', 'Q4_K_M', { F32: 13, Q6_K: 3, Q4_K: 34, Q5_0: 4, Q8_0: 2 }],
  ] as const) {
    it(`build ${file} keeps its blocks: a folder no larger than 1.25x the file plus 1 MB, recorded as ${fileType} (as downloaded)`, async (t) => {
      const source = join(GGUF_DIR, file);
      const out = join(await cli.dir(), `built-${fileType}`);
      const result = await cli.hearth(['build', source, '--out', out]);
      assert.equal(result.code, 0, result.stderr);
      assert.ok(result.stderr.includes(`${fileType} (as downloaded)`), result.stderr);
      assert.ok(!result.stderr.includes('requantizes'), result.stderr);

      const fileBytes = statSync(source).size;
      const built = folderBytes(out);
      t.diagnostic(`${file}: ${built} bytes built from ${fileBytes} (${(built / fileBytes).toFixed(3)}x)`);
      assert.ok(built <= 1.25 * fileBytes + MB, `${built} bytes is more than 1.25 x ${fileBytes} + 1 MB`);

      const manifest = JSON.parse(await readFile(join(out, 'hearth.json'), 'utf8')) as ModelManifest;
      assert.deepEqual(manifest.sourceFormat, { kind: 'gguf', fileType, tensorTypes, asDownloaded: true });
      assert.equal(manifest.precision, 'int4');
      const graph = await readFile(join(out, manifest.graphFile));
      assert.ok(graph.includes('MatMulNBits') && graph.includes('GatherBlockQuantized'), 'the blocks are kept as MatMulNBits and GatherBlockQuantized');
    });
  }

  it('build --dtype requantizes, says so, and records the file as not kept', async () => {
    const source = join(GGUF_DIR, 'shakespeare-5m-q4_0.gguf');
    const out = join(await cli.dir(), 'built-q4_0-int8');
    const result = await cli.hearth(['build', source, '--out', out, '--dtype', 'int8']);
    assert.equal(result.code, 0, result.stderr);
    assert.ok(result.stderr.includes(`--dtype int8 requantizes ${source}`), result.stderr);
    const manifest = JSON.parse(await readFile(join(out, 'hearth.json'), 'utf8')) as ModelManifest;
    assert.equal(manifest.precision, 'int8');
    assert.equal(manifest.sourceFormat?.fileType, 'Q4_0');
    assert.equal(manifest.sourceFormat?.asDownloaded, false);
  });

  for (const [file, { llama_cpp_greedy_ids: expected }] of Object.entries(reference?.files ?? {})) {
    const matched = MATCHED_PREFIX[file] ?? expected.length;
    it(`run ${file} --prompt gives llama.cpp's greedy ids (${matched} of ${expected.length})`, async () => {
      const result = await cli.hearth(['run', join(GGUF_DIR, file), '--prompt', reference!.prompt, '--max-new-tokens', String(expected.length), '--json']);
      assert.equal(result.code, 0, result.stderr);
      const ids = (JSON.parse(lastLine(result.stdout)) as { ids: number[] }).ids;
      assert.deepEqual(ids.slice(0, matched), expected.slice(0, matched));
    });
  }
});
