import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpus } from 'node:os';
import { benchConfigurations, benchNotes, formatBenchTable, formatBuildTable, LLAMA_CPP_REFERENCE, PYTORCH_PEFT_REFERENCE, type BenchOutcome } from './bench-table.ts';

test('the full table covers 0.5B fp32/int8 dynamic/int4/int4 + int8 prefill graph at 1 and 2 threads, the second turn, and 2k/4k/8k attention memory', () => {
  const configs = benchConfigurations(false);
  const speed = configs.filter((c) => c.kind === 'speed');
  assert.equal(speed.length, 8);
  for (const dtype of ['fp32', 'int8 --int8-kernel dynamic', 'int4', 'int4 --prefill-graph']) {
    for (const threads of ['1', '2']) {
      assert.ok(
        speed.some((c) => c.args.join(' ').includes(`--dtype ${dtype} --threads ${threads} --prompt 512 --gen 128`)),
        `missing ${dtype} at ${threads} threads`,
      );
    }
  }
  assert.ok(speed.some((c) => c.label.includes('int4 + int8 prefill graph, 2 threads')));
  const quick = benchConfigurations(true).filter((c) => c.kind === 'speed');
  assert.deepEqual(quick.map((c) => c.args.join(' ')), ['--shape qwen2.5-0.5b --dtype int4 --threads 2 --prompt 128 --gen 16']);
  assert.equal(configs.filter((c) => c.kind === 'second-turn').length, 1);
  const memory = configs.filter((c) => c.kind === 'attention-memory').map((c) => c.args.join(' '));
  for (const tokens of [2048, 4096, 8192]) {
    for (const attention of ['fused', 'reference']) assert.ok(memory.some((a) => a.includes(`--attention ${attention}`) && a.includes(`--prompt ${tokens} `)));
  }
  assert.ok(benchConfigurations(true).length < configs.length, '--quick runs fewer configurations');
  for (const quick of [false, true]) {
    const train = benchConfigurations(quick).filter((c) => c.kind === 'train');
    assert.deepEqual(train.map((c) => c.args.join(' ')), ['--train --threads 2 --steps 60 --batch 8'], 'one LoRA training row, 2 threads, 60 steps');
  }
});

test('the table measures aggregate decode with 1, 2 and 4 concurrent streams, int4 at the 0.5B shape, and prints each row', () => {
  for (const quick of [false, true]) {
    const streams = benchConfigurations(quick).filter((c) => c.kind === 'streams');
    assert.deepEqual(
      streams.map((c) => c.args[c.args.indexOf('--streams') + 1]),
      ['1', '2', '4'],
    );
    assert.ok(streams.every((c) => c.args.includes('int4') && c.args.includes('qwen2.5-0.5b')));
  }
  const [config] = benchConfigurations(false).filter((c) => c.kind === 'streams').slice(-1);
  const [header, , row] = formatBenchTable([{ config, result: { decode_tok_s: 51.25, per_stream_tok_s: [12.5, 12.9, 13, 12.8], peak_rss_mb: 700, weight_bytes: 1024 * 1024, other_cpu_pct: 2 } }]).split('\n');
  assert.equal(row.split(' | ').length, header.split(' | ').length);
  assert.match(row, /4 streams at once.*\*\*aggregate\*\* decode \(per stream 12\.5, 12\.9, 13\.0, 12\.8\) \| – \| 51\.3 \|/);
});

test('formatBenchTable prints one markdown table, a reuse and a cold row for the second turn, and a note for a failed row', () => {
  const [speed] = benchConfigurations(false);
  const secondTurn = benchConfigurations(false).find((c) => c.kind === 'second-turn')!;
  const memory = benchConfigurations(false).find((c) => c.kind === 'attention-memory')!;
  const train = benchConfigurations(false).find((c) => c.kind === 'train')!;
  const outcomes: BenchOutcome[] = [
    {
      config: speed,
      result: { prefill_tok_s: 400.25, decode_tok_s: 30.5, ttft_ms: 1300, peak_rss_mb: 2500, weight_bytes: 2 * 1024 * 1024 * 1024, planned_mb: 2400, planned_error_pct: -4, baseline_rss_mb: 100, other_cpu_pct: 3 },
    },
    { config: secondTurn, result: { ttft_reuse_ms: 120, ttft_cold_ms: 1800, peak_rss_mb: 800, weight_bytes: 1024 * 1024, reuse_fed_tokens: 33, conversation_tokens: 576 } },
    { config: memory, result: null, failure: 'the run failed (killed by SIGKILL, likely out of memory)' },
    { config: train, result: { train_tok_s: 3600.4, step_ms: 71.2, build_ms: 850, peak_rss_mb: 420, steps: 60, batch: 8, tokens_per_row: 32.1, other_cpu_pct: 1 } },
  ];
  const table = formatBenchTable(outcomes).split('\n');
  assert.equal(table.length, 2 + 1 + 2 + 1 + 1, 'header, separator and one row per result (two for the second turn)');
  const columns = table[0].split(' | ').length;
  assert.ok(table.every((line) => line.split(' | ').length === columns), 'every row has as many cells as the header');
  assert.ok(table.every((line) => line.startsWith('| ') && line.endsWith(' |')));
  assert.match(table[2], /\| 400\.3 \| 30\.5 \| – \| 1300\.0 \| 2500 \| 2048\.0 \| 2400 \(-4 %\) \| 3 \|$/);
  assert.match(table[3], /KV reuse.*\| 120\.0 \|/);
  assert.match(table[4], /cold.*all 576 tokens.*\| 1800\.0 \|/);
  assert.match(table[5], /skipped: the run failed \(killed by SIGKILL/);
  assert.match(table[6], /^\| LoRA training: .*32\.1 tokens a row; graph build 850 ms\) \| – \| – \| 3600 \(71\.2\) \| – \| 420 \|/);
  const notes = benchNotes(outcomes, 10).join('\n');
  // A quoted figure names the machine it was measured on; the measured rows name this CPU.
  for (const reference of [LLAMA_CPP_REFERENCE, PYTORCH_PEFT_REFERENCE]) {
    const line = notes.split('\n').find((l) => l.includes(reference.figures));
    assert.ok(line, `the notes quote ${reference.figures}`);
    assert.match(line, /quoted, not measured here: .* \(measured on 2 vCPUs of an Intel Xeon .*AMX, November 2026; from the issue that set the (speed|training) goal\)/);
  }
  assert.match(notes, /856 tok\/s, decode 45 tok\/s/);
  assert.match(notes, /17\.7 s, about 4,300 training tok\/s/);
  assert.ok(notes.split('\n')[0].startsWith(`Every row above: measured on ${cpus()[0]?.model ?? 'unknown CPU'} (`), 'the measured rows name this CPU');
  assert.match(notes, /non-padding tokens/, 'the notes say what a training token is');
});

test('build rows: int4, int8 and fp16 at the 0.5B shape (int4 alone with --quick), printed with llama.cpp\'s rows or the note why they are missing', () => {
  const builds = benchConfigurations(false).filter((c) => c.kind === 'build');
  assert.deepEqual(builds.map((c) => c.args.join(' ')), ['int4', 'int8', 'fp16'].map((d) => `--build-time --shape qwen2.5-0.5b --dtype ${d}`));
  assert.deepEqual(benchConfigurations(true).filter((c) => c.kind === 'build').map((c) => c.args.at(-1)), ['int4']);
  const outcomes: BenchOutcome[] = [
    {
      config: builds[0],
      result: {
        build_s: 7.94,
        peak_rss_mb: 1210,
        output_mb: 376.2,
        other_cpu_pct: 4,
        llama: [
          { type: 'q4_k_m', build_s: 8.1, peak_rss_mb: 950, output_mb: 375.8, other_cpu_pct: 2 },
          { type: 'q4_0', build_s: 3.8, peak_rss_mb: 940, output_mb: 330, other_cpu_pct: 2 },
        ],
        llama_note: null,
      },
    },
    { config: builds[1], result: { build_s: 5, peak_rss_mb: 1100, output_mb: 500, other_cpu_pct: 1, llama: [], llama_note: 'llama.cpp skipped: set HEARTH_LLAMA_ORACLE to a directory' } },
    { config: builds[2], result: null, failure: 'the run failed (exit status 1)' },
  ];
  const table = formatBuildTable(outcomes).split('\n');
  assert.equal(table.length, 2 + 3 + 2 + 1);
  assert.ok(table.every((line) => line.split(' | ').length === 5));
  assert.match(table[2], /^\| build: qwen2\.5-0\.5b int4: hearth build \| 7\.9 \| 1210 \| 376\.2 \| 4 \|$/);
  assert.match(table[3], /llama\.cpp Q4_K_M \| 8\.1 \| 950 \| 375\.8 \| 2 \|$/);
  assert.match(table[4], /llama\.cpp Q4_0 \| 3\.8 /);
  assert.match(table[6], /int8: llama\.cpp skipped: set HEARTH_LLAMA_ORACLE/);
  assert.match(table[7], /fp16 \| skipped: the run failed/);
});
