import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { DataType } from '../onnx/graph.ts';
import { GraphBuilder } from '../onnx/graph-builder.ts';
import { dequantizeMatMulNBits, quantizeMatMulNBits } from '../quant/matmul-nbits.ts';
import { roundScalesToFloat16, TOKEN_TABLE_BITS } from './quant-recipe.ts';
import { emitQuantizedTokenLookup, emitTiedQuantizedHead, quantizedTokenTableIn } from './quantized-token-table.ts';

function randomTable(vocab: number, hidden: number): Float32Array {
  let s = 12345;
  return Float32Array.from({ length: vocab * hidden }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32 - 0.5) * 0.2;
  });
}

/** The table the graph holds, dequantized: the quantizer's levels at the float16-rounded scales. */
function expectedTable(data: Float32Array, vocab: number, hidden: number, blockSize: number): Float32Array {
  const q = quantizeMatMulNBits(data, vocab, hidden, { bits: TOKEN_TABLE_BITS, blockSize, symmetric: true });
  return dequantizeMatMulNBits({ ...q, scales: roundScalesToFloat16(q.scales) }, vocab, hidden, { bits: TOKEN_TABLE_BITS, blockSize });
}

for (const [hidden, blockSize] of [
  [128, 64],
  [96, 32],
] as const) {
  test(`a token table of hidden size ${hidden} is stored once in 8-bit blocks of ${blockSize}, and the lookup and the tied head both read it`, async () => {
    const vocab = 50;
    const data = randomTable(vocab, hidden);
    const dir = mkdtempSync(join(tmpdir(), 'hearth-token-table-'));
    try {
      const g = new GraphBuilder({ dir });
      const rows = emitQuantizedTokenLookup(g, { data, shape: [vocab, hidden] }, g.input('ids', DataType.INT64, [1, 'n']));
      const table = quantizedTokenTableIn(g)!;
      assert.equal(table.blockSize, blockSize);
      // Accuracy level 1: float32 compute, so the head is checked against plain dot products.
      const logits = emitTiedQuantizedHead(g, g.input('hidden', DataType.FLOAT, [1, 'n', hidden]), table, 1);
      g.output('rows', DataType.FLOAT, [1, 'n', hidden], rows);
      g.output('logits', DataType.FLOAT, [1, 'n', vocab], logits);
      const finished = g.finish();
      // Stored once: the 8-bit values, a float16 scale per block, and the head's Reshape shape (3 int64s).
      assert.equal(finished.weightBytes, vocab * hidden + vocab * (hidden / blockSize) * 2 + 3 * 8);

      const ids = [0, 7, 49, 7];
      const x = Float32Array.from({ length: ids.length * hidden }, (_, i) => Math.sin(i * 0.7));
      const session = await InferenceSession.create(finished.graphPath, { graphOptimizationLevel: 'all' });
      const out = await session.run({
        ids: new Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, ids.length]),
        hidden: new Tensor('float32', x, [1, ids.length, hidden]),
      });
      await session.release();

      const expected = expectedTable(data, vocab, hidden, blockSize);
      const gathered = out.rows.data as Float32Array;
      ids.forEach((id, r) => assert.deepEqual(gathered.subarray(r * hidden, (r + 1) * hidden), expected.subarray(id * hidden, (id + 1) * hidden), `row of token ${id}`));
      const got = out.logits.data as Float32Array;
      for (let r = 0; r < ids.length; r++) {
        for (let v = 0; v < vocab; v++) {
          let dot = 0;
          for (let h = 0; h < hidden; h++) dot += x[r * hidden + h] * expected[v * hidden + h];
          assert.ok(Math.abs(got[r * vocab + v] - dot) <= 1e-4 * (1 + Math.abs(dot)), `logit [${r}, ${v}]: ${got[r * vocab + v]} against ${dot}`);
        }
      }
      // The quantized table is close to the float one: 8 bits, one scale per block.
      let worst = 0;
      for (let i = 0; i < data.length; i++) worst = Math.max(worst, Math.abs(expected[i] - data[i]));
      assert.ok(worst <= 0.1 / 127, `largest error ${worst}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('a table of a hidden size off both blocks is refused with the size named', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-token-table-'));
  try {
    const g = new GraphBuilder({ dir });
    assert.throws(() => emitQuantizedTokenLookup(g, { data: new Float32Array(2 * 48), shape: [2, 48] }, g.input('ids', DataType.INT64, [1, 'n'])), /hidden size 48/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
