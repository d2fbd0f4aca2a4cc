// `hearth finetune --method dpo` and `hearth eval` on a preference file, end to end on
// shakespeare-5m and the greet preference pairs (../shared/fixtures/lora).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FIXTURES_MISSING, LORA_FIXTURES, SHAKESPEARE_DIR } from '../../train/test/reference-batch.ts';
import { CliScratch, lastLine } from '../cli-test-support.ts';

const scratch = new CliScratch();
after(() => scratch.cleanup());

const TRAIN = join(LORA_FIXTURES, 'greet_prefs_train.jsonl');
const TEST = join(LORA_FIXTURES, 'greet_prefs_test.jsonl');
const REWARDS_LINE = /^preference_accuracy=([\d.]+) reward_margin=(-?[\d.]+) rewards_chosen=(-?[\d.]+) rewards_rejected=(-?[\d.]+)$/;

describe('hearth finetune --method dpo / hearth eval on preference pairs', { skip: FIXTURES_MISSING }, () => {
  it('trains on preference pairs, and eval of its adapter on the held-out pairs prints the same rewards', async () => {
    const out = join(await scratch.dir(), 'dpo');
    const trained = await scratch.hearth(['finetune', SHAKESPEARE_DIR, '--method', 'dpo', '--beta', '0.1', '--data', TRAIN, '--eval-data', TEST, '--lr', '2e-3', '--batch', '8', '--steps', '8', '--out', out]);
    assert.equal(trained.code, 0, trained.stderr);
    assert.match(trained.stderr, /60 train examples, 20 eval examples \(from --eval-data\)/);
    assert.match(trained.stderr, /step 1\/8 loss 0\.6931 .* rewards chosen -?0\.000 rejected -?0\.000 margin -?0\.000 accuracy /);
    assert.ok(existsSync(join(out, 'adapter_model.safetensors')) && existsSync(join(out, 'adapter_config.json')));
    const fromJob = REWARDS_LINE.exec(lastLine(trained.stdout));
    assert.ok(fromJob, lastLine(trained.stdout));
    assert.ok(Number(fromJob[1]) >= 0.95 && Number(fromJob[2]) > 0, lastLine(trained.stdout));

    const evaluated = await scratch.hearth(['eval', SHAKESPEARE_DIR, '--data', TEST, '--adapter', out]);
    assert.equal(evaluated.code, 0, evaluated.stderr);
    assert.match(evaluated.stderr, /^20 pairs; DPO loss [\d.]+$/m);
    assert.equal(lastLine(evaluated.stdout), lastLine(trained.stdout), 'the job’s final evaluation and hearth eval compute the same rewards');
    const doubled = REWARDS_LINE.exec(lastLine((await scratch.hearth(['eval', SHAKESPEARE_DIR, '--data', TEST, '--adapter', out, '--beta', '0.2'])).stdout));
    assert.ok(doubled && Math.abs(Number(doubled[2]) - 2 * Number(fromJob[2])) < 2e-6, 'rewards scale with beta');
  });

  it('refuses what it cannot use, saying why', async () => {
    const dir = await scratch.dir();
    const out = join(dir, 'x');
    const noAdapter = await scratch.hearth(['eval', SHAKESPEARE_DIR, '--data', TEST]);
    assert.equal(noAdapter.code, 2);
    assert.match(noAdapter.stderr, /holds preference pairs: give --adapter DIR/);
    const method = await scratch.hearth(['finetune', SHAKESPEARE_DIR, '--method', 'ppo', '--data', TRAIN, '--out', out]);
    assert.equal(method.code, 2);
    assert.match(method.stderr, /--method must be sft or dpo, not 'ppo'/);
    const beta = await scratch.hearth(['finetune', SHAKESPEARE_DIR, '--beta', '0.1', '--data', TRAIN, '--out', out]);
    assert.equal(beta.code, 2);
    assert.match(beta.stderr, /--beta applies to --method dpo only/);
    const bad = join(dir, 'bad.jsonl');
    await writeFile(bad, '{"prompt": "Hi", "chosen": "Hello", "rejected": "Go"}\n{"prompt": "Hi", "chosen": ["Hello"], "rejected": "Go"}\n');
    const refused = await scratch.hearth(['finetune', SHAKESPEARE_DIR, '--method', 'dpo', '--data', bad, '--out', out]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /bad\.jsonl:2: "prompt" is a string, but "chosen" is a message list/);
    assert.ok(!existsSync(out), 'nothing was written');
  });
});
