// The training memory plan against a measured run (`hearth bench --train --shape DIR` in a child
// process, whose peak RSS is its own), and a job refused before it starts when it will not fit.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { HEARTH_BIN } from './bench-locations.ts';
import { runFinetune } from '../../../train/finetune-job.ts';
import { FIXTURES_MISSING, LORA_FIXTURES, SHAKESPEARE_DIR } from '../../../train/test/reference-batch.ts';
import { openModelSource } from '../../../engine/architectures/model-source.ts';
import type { ModelSpec } from '../../../common/model-spec.ts';
import { checkTrainingFits, planTrainingMemory, TrainingMemoryError } from '../../../engine/memory-plan/training-memory-plan.ts';

/** The bound: the plan within 15 % of the measured peak. */
const TOLERANCE = 0.15;

async function readModelSpec(dir: string): Promise<ModelSpec> {
  const source = await openModelSource(dir);
  try {
    return source.spec;
  } finally {
    await source.close();
  }
}

describe('the training memory plan', { skip: FIXTURES_MISSING }, () => {
  for (const [baseDtype, sequence] of [['int4', 64], ['fp32', 256]] as const) {
    it(`is within 15 % of the measured peak RSS (shakespeare-5m, ${baseDtype} base, 1 × ${sequence} tokens)`, () => {
      const run = spawnSync(process.execPath, [HEARTH_BIN, 'bench', '--train', '--shape', SHAKESPEARE_DIR, '--base-dtype', baseDtype, '--seq', String(sequence), '--steps', '2', '--threads', '2', '--json'], { encoding: 'utf8' });
      assert.equal(run.status, 0, run.stderr);
      const figures = JSON.parse(run.stdout.trim().split('\n').pop()!) as { peak_rss_mb: number; plan_mb: number };
      const error = figures.plan_mb / figures.peak_rss_mb - 1;
      assert.ok(Math.abs(error) <= TOLERANCE, `plan ${figures.plan_mb} MB, measured ${figures.peak_rss_mb} MB (${(error * 100).toFixed(1)} %)`);
    });
  }

  it('grows with batch × sequence and shrinks with the base precision', async () => {
    const spec = await readModelSpec(SHAKESPEARE_DIR);
    const plan = (baseDtype: 'fp32' | 'int4', batch: number, sequence: number) => planTrainingMemory(spec, { baseDtype, batch, sequence, r: 8, targets: 'all-linear' });
    assert.ok(plan('fp32', 4, 256).activationBytes > 3.9 * plan('fp32', 1, 256).activationBytes);
    assert.ok(plan('int4', 1, 256).frozenWeightBytes < plan('fp32', 1, 256).frozenWeightBytes);
    assert.equal(plan('int4', 2, 128).logitsBytes, plan('int4', 1, 256).logitsBytes);
  });

  it('refuses a job that will not fit before it starts, saying what to change', async () => {
    const outDir = await mkdtemp(join(tmpdir(), 'hearth-too-big-'));
    try {
      await assert.rejects(
        runFinetune({ baseDir: SHAKESPEARE_DIR, dataPath: join(LORA_FIXTURES, 'greet_train.jsonl'), outDir, batchSize: 8, steps: 1, memoryBudgetBytes: 200 * 1024 * 1024 }),
        (error: Error) => {
          assert.ok(error instanceof TrainingMemoryError, String(error));
          assert.match(error.message, /needs about .* GB of memory/);
          assert.match(error.message, /--base-dtype int4/);
          assert.match(error.message, /smaller --batch/);
          return true;
        },
      );
    } finally {
      await rm(outDir, { recursive: true, force: true });
    }
  });

  it('lets a job through that fits', async () => {
    const spec = await readModelSpec(SHAKESPEARE_DIR);
    const options = { baseDtype: 'int4' as const, batch: 1, sequence: 64 };
    assert.doesNotThrow(() => checkTrainingFits(planTrainingMemory(spec, { ...options, r: 8, targets: 'all-linear' }), options, 24 * 1024 ** 3));
  });
});
