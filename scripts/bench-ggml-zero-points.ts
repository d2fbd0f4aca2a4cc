// How fast onnxruntime's CPU MatMulNBits runs each way a ggml block format can be laid out:
// 4-bit with no zero point (Q4_0), with uint8 zero points, with float zero points (Q4_1/Q4_K as
// ggml-matmul-nbits.ts writes them), and with uint8 zero points 0 plus the block offsets applied
// as a separate small MatMul on the block sums of A (an exact alternative to a float zero point:
// y = A·(s·q)ᵀ - blocksum(A)·tᵀ). 8-bit with uint8 zero points (Q5_0, Q8_0; Q6_K in blocks of 16),
// 8-bit with block offsets (Q5_1, Q5_K) and a plain float32
// MatMul are there for scale. Shapes are Qwen2-0.5B's MLP (896 ↔ 4864), M = 1 (decoding) and
// M = 128 (a prompt).
//
//   npx tsx scripts/bench-ggml-zero-points.ts [--level 4] [--runs 40]
//
// Prints a table of median milliseconds per call, the CPU, and how busy the rest of the machine was.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { startContentionMeter } from '../main/engine/bench/cpu-contention.ts';
import { attr, DataType } from '../main/engine/onnx/graph.ts';
import { GraphBuilder } from '../main/engine/onnx/graph-builder.ts';

type Variant =
  | 'float32 MatMul'
  | '4-bit, no zp'
  | '4-bit, uint8 zp'
  | '4-bit, float zp'
  | '4-bit, zp 0 + block offsets'
  | '8-bit, uint8 zp'
  | '8-bit, zp 0 + block offsets'
  | '8-bit block 16, uint8 zp';
const VARIANTS: Variant[] = [
  'float32 MatMul',
  '4-bit, no zp',
  '4-bit, uint8 zp',
  '4-bit, float zp',
  '4-bit, zp 0 + block offsets',
  '8-bit, uint8 zp',
  '8-bit, zp 0 + block offsets',
  '8-bit block 16, uint8 zp',
];

function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function buildGraph(dir: string, variant: Variant, N: number, K: number, level: number): string {
  const next = random(N * 7 + K);
  const BLOCK = variant === '8-bit block 16, uint8 zp' ? 16 : 32;
  const kBlocks = K / BLOCK;
  const g = new GraphBuilder({ dir });
  const a = g.input('a', DataType.FLOAT, ['m', K]);
  const scales = () => g.initializer('scales', DataType.FLOAT, [N, kBlocks], Float32Array.from({ length: N * kBlocks }, () => 0.01 + next() * 0.01));
  const bytes = (length: number) => Uint8Array.from({ length }, () => Math.floor(next() * 256));
  const nbits = (bits: 4 | 8, inputs: string[]) =>
    g.op(
      'MatMulNBits',
      [a, g.initializer('b', DataType.UINT8, [N, kBlocks, (BLOCK * bits) / 8], bytes((N * K * bits) / 8)), scales(), ...inputs],
      { K: attr.int(K), N: attr.int(N), bits: attr.int(bits), block_size: attr.int(BLOCK), accuracy_level: attr.int(level) },
      { domain: 'com.microsoft' },
    );
  let y: string;
  switch (variant) {
    case 'float32 MatMul':
      y = g.op('MatMul', [a, g.initializer('w', DataType.FLOAT, [K, N], Float32Array.from({ length: K * N }, () => next() - 0.5))]);
      break;
    case '4-bit, no zp':
      y = nbits(4, []);
      break;
    case '4-bit, uint8 zp':
      y = nbits(4, [g.initializer('zp', DataType.UINT8, [N, Math.ceil(kBlocks / 2)], bytes(N * Math.ceil(kBlocks / 2)))]);
      break;
    case '4-bit, float zp':
      y = nbits(4, [g.initializer('zp', DataType.FLOAT, [N, kBlocks], Float32Array.from({ length: N * kBlocks }, () => next() * 15))]);
      break;
    case '4-bit, zp 0 + block offsets':
    case '8-bit, zp 0 + block offsets': {
      const zpBytes = variant.startsWith('4') ? Math.ceil(kBlocks / 2) : kBlocks;
      const product = nbits(variant.startsWith('4') ? 4 : 8, [g.initializer('zp', DataType.UINT8, [N, zpBytes], new Uint8Array(N * zpBytes))]);
      const blocks = g.op('Reshape', [a, g.int64s([0, kBlocks, BLOCK])]);
      const sums = g.op('ReduceSum', [blocks, g.int64s([-1])], { keepdims: attr.int(0) });
      const offsets = g.initializer('offsets', DataType.FLOAT, [kBlocks, N], Float32Array.from({ length: kBlocks * N }, () => next() * 0.1));
      y = g.op('Sub', [product, g.op('MatMul', [sums, offsets])]);
      break;
    }
    case '8-bit, uint8 zp':
    case '8-bit block 16, uint8 zp':
      y = nbits(8, [g.initializer('zp', DataType.UINT8, [N, kBlocks], bytes(N * kBlocks))]);
      break;
  }
  g.output('y', DataType.FLOAT, ['m', N], y);
  return g.finish().graphPath;
}

async function medianMs(session: InferenceSession, a: Tensor, runs: number): Promise<number> {
  for (let i = 0; i < 3; i++) await session.run({ a });
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await session.run({ a });
    times.push(performance.now() - start);
  }
  times.sort((x, y) => x - y);
  return times[Math.floor(times.length / 2)];
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { level: { type: 'string', default: '4' }, runs: { type: 'string', default: '40' } } });
  const level = Number(values.level);
  const runs = Number(values.runs);
  const cpu = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown CPU';
  console.log(`${cpu}, ${availableParallelism()} threads, onnxruntime-node ${(await import('onnxruntime-node/package.json', { with: { type: 'json' } })).default.version}, accuracy_level ${level}, median of ${runs} runs (M=128: ${Math.ceil(runs / 4)})`);
  const shapes = [
    { N: 4864, K: 896 },
    { N: 896, K: 4864 },
  ];
  const root = mkdtempSync(join(tmpdir(), 'hearth-bench-zp-'));
  const meter = startContentionMeter();
  try {
    const header = ['variant', ...shapes.flatMap(({ N, K }) => [1, 128].map((M) => `N=${N} K=${K} M=${M}`))];
    const rows: string[][] = [];
    for (const variant of VARIANTS) {
      const row: string[] = [variant];
      for (const { N, K } of shapes) {
        const dir = mkdtempSync(join(root, 'g-'));
        const session = await InferenceSession.create(buildGraph(dir, variant, N, K, level), { graphOptimizationLevel: 'all', logSeverityLevel: 3 });
        for (const M of [1, 128]) {
          const a = new Tensor('float32', Float32Array.from({ length: M * K }, (_, i) => Math.sin(i)), [M, K]);
          row.push((await medianMs(session, a, M === 1 ? runs : Math.ceil(runs / 4))).toFixed(3));
        }
        await session.release();
      }
      rows.push(row);
      console.log(row.join('\t'));
    }
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    console.log('\n' + [header, ...rows].map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ')).join('\n'));
    const others = meter.stop();
    console.log(`\nms per call; other processes used ${others === null ? 'an unknown share' : `${others.toFixed(0)}%`} of the CPU meanwhile.`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
