import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../command.ts';
import { benchCommand } from './bench.ts';
import { HEARTH_BIN } from './bench/bench-locations.ts';
import { SECOND_TURN_JSON_KEYS } from './bench/bench-second-turn-mode.ts';
import { SPEED_JSON_KEYS } from './bench/bench-speed-mode.ts';
import { STREAMS_JSON_KEYS } from './bench/bench-streams-mode.ts';
import { TRAIN_JSON_KEYS } from './bench/bench-train-mode.ts';

const cacheRoot = mkdtempSync(join(tmpdir(), 'hearth-bench-test-'));
test.after(() => rmSync(cacheRoot, { recursive: true, force: true }));

/** Runs `hearth bench …` as a user would and returns the parsed last stdout line. */
function benchJson(args: string[]): Record<string, unknown> {
  const run = spawnSync(process.execPath, [HEARTH_BIN, 'bench', ...args], { env: { ...process.env, HEARTH_BENCH_CACHE: cacheRoot }, encoding: 'utf8' });
  assert.equal(run.status, 0, `hearth bench failed:\n${run.stderr}`);
  const lines = run.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as Record<string, unknown>;
}

function assertPositiveNumbers(json: Record<string, unknown>, keys: readonly string[]): void {
  for (const key of keys) {
    const value = json[key];
    assert.ok(typeof value === 'number' && value > 0 && Number.isFinite(value), `${key} should be a positive number, got ${String(value)}`);
  }
}

test('bench --json prints one line starting with the documented keys, all positive', () => {
  const json = benchJson(['--shape', 'narrow-8k', '--dtype', 'fp32', '--prompt', '32', '--gen', '4', '--json']);
  assert.deepEqual(Object.keys(json).slice(0, SPEED_JSON_KEYS.length), [...SPEED_JSON_KEYS]);
  assertPositiveNumbers(json, SPEED_JSON_KEYS);
  assertPositiveNumbers(json, ['planned_mb']);
  assert.equal(json.context, 36, 'the context is prompt + gen');
  assert.equal(json.prompt_tokens, 32);
  assert.equal(json.gen_tokens, 4);
});

test('bench --second-turn --json reports the TTFT with and without KV reuse', () => {
  const json = benchJson(['--shape', 'narrow-8k', '--dtype', 'fp32', '--prompt', '24', '--gen', '3', '--turn2', '5', '--second-turn', '--json']);
  assert.deepEqual(Object.keys(json).slice(0, SECOND_TURN_JSON_KEYS.length), [...SECOND_TURN_JSON_KEYS]);
  assertPositiveNumbers(json, SECOND_TURN_JSON_KEYS);
  assert.equal(json.conversation_tokens, 24 + 3 + 5);
  assert.equal(json.reuse_fed_tokens, 1 + 5, 'the last reply token and the new turn');
});

test('bench --streams --json reports the aggregate decode tok/s of streams decoded together in batches', () => {
  const json = benchJson(['--shape', 'narrow-8k', '--dtype', 'fp32', '--prompt', '8', '--gen', '6', '--streams', '3', '--json']);
  assert.deepEqual(Object.keys(json).slice(0, STREAMS_JSON_KEYS.length), [...STREAMS_JSON_KEYS]);
  assertPositiveNumbers(json, ['decode_tok_s', 'peak_rss_mb', 'weight_bytes']);
  assert.equal(json.streams, 3);
  assert.equal((json.per_stream_tok_s as number[]).length, 3);
  // Every step of the three streams went through a batch but the few where one was alone.
  assert.ok((json.batched_steps as number) > 0, `batched steps: ${String(json.batched_steps)}`);
  assert.equal((json.batched_tokens as number) + (json.single_steps as number), 3 * 6);
});

test('bench rejects an unknown shape and a shared-buffer cache with reference attention', async () => {
  await assert.rejects(benchCommand.run(['--shape', 'no-such-shape-or-folder']), (error: unknown) => error instanceof UsageError && /neither a benchmark shape/.test(error.message));
  await assert.rejects(
    benchCommand.run(['--shape', 'narrow-8k', '--attention', 'reference', '--cache', 'shared-buffer']),
    (error: unknown) => error instanceof UsageError && /needs fused attention/.test(error.message),
  );
});

test('bench takes --prefill-graph for int4 only and --int8-kernel for int8 only', async () => {
  const usage = (pattern: RegExp) => (error: unknown) => error instanceof UsageError && pattern.test(error.message);
  await assert.rejects(benchCommand.run(['--shape', 'narrow-8k', '--dtype', 'int8', '--prefill-graph']), usage(/--prefill-graph is for --dtype int4/));
  await assert.rejects(benchCommand.run(['--shape', 'narrow-8k', '--dtype', 'int4', '--int8-kernel', 'dynamic']), usage(/--int8-kernel is for --dtype int8/));
  await assert.rejects(benchCommand.run(['--shape', 'narrow-8k', '--dtype', 'int8', '--int8-kernel', 'vnni']), usage(/must be dynamic or blockwise/));
  await assert.rejects(benchCommand.run(['--shape', 'narrow-8k', '--dtype', 'int8', '--int8-prompt']), usage(/--int8-prompt is for --dtype int4/));
  await assert.rejects(benchCommand.run(['--shape', 'narrow-8k', '--dtype', 'int4', '--int8-prompt', '--prefill-graph']), usage(/--int8-prompt is for --dtype int4 without --prefill-graph/));
});

test('bench --prefill-graph builds and runs int4 with the int8 prefill graph, and plans for both graphs', () => {
  const args = ['--shape', 'narrow-8k', '--dtype', 'int4', '--prompt', '32', '--gen', '2', '--json'];
  const plain = benchJson(args);
  const withPrefill = benchJson([...args, '--prefill-graph']);
  assert.equal(plain.prefill_graph, false);
  assert.equal(withPrefill.prefill_graph, true);
  assert.ok((withPrefill.weight_bytes as number) > (plain.weight_bytes as number), 'the int8 graph adds its weights');
  assert.ok((withPrefill.planned_mb as number) > (plain.planned_mb as number), 'the planner counts the second graph');
  assert.equal(benchJson(['--shape', 'narrow-8k', '--dtype', 'int8', '--int8-kernel', 'blockwise', '--prompt', '8', '--gen', '1', '--json']).int8_kernel, 'blockwise');
});

test('bench --train --json fine-tunes the demo model and prints training tokens/s, step time, build time and peak RSS', () => {
  const json = benchJson(['--train', '--steps', '4', '--batch', '4', '--threads', '2', '--json']);
  assert.deepEqual(Object.keys(json).slice(0, TRAIN_JSON_KEYS.length), [...TRAIN_JSON_KEYS]);
  assertPositiveNumbers(json, TRAIN_JSON_KEYS);
  assert.equal(json.steps, 4);
  assert.equal(json.batch, 4);
  assert.equal(json.timed_steps, 2, 'the first 2 steps are warm-up, not timed');
  assert.ok((json.tokens_per_row as number) > 20 && (json.tokens_per_row as number) < 50, `rows shaped like the reference task (about 35 tokens), got ${String(json.tokens_per_row)}`);
  assert.ok((json.last_loss as number) < (json.first_loss as number), 'the run learns: the loss falls');
});

test('bench --train needs more steps than the warm-up; --train --shape checks its base precision; --base-dtype and --seq need --train --shape', async () => {
  await assert.rejects(benchCommand.run(['--train', '--steps', '2']), (error: unknown) => error instanceof UsageError && /--steps must be a whole number of at least 3/.test(error.message));
  await assert.rejects(benchCommand.run(['--train', '--shape', 'narrow-8k', '--base-dtype', 'int3']), (error: unknown) => error instanceof UsageError && /--base-dtype must be one of fp32, fp16, int8, int4/.test(error.message));
  await assert.rejects(benchCommand.run(['--train', '--shape', 'narrow-8k', '--second-turn']), (error: unknown) => error instanceof UsageError && /without --second-turn/.test(error.message));
  await assert.rejects(benchCommand.run(['--shape', 'narrow-8k', '--base-dtype', 'int4']), (error: unknown) => error instanceof UsageError && /--base-dtype and --seq go with --train --shape/.test(error.message));
});
