// `hearth finetune`, `hearth eval` and `hearth merge` end to end on shakespeare-5m and the PEFT
// greet adapter (../shared/fixtures/lora).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES_MISSING, LORA_FIXTURES, SHAKESPEARE_DIR } from '../../train/test/reference-batch.ts';
import { CliScratch, lastLine } from '../cli-test-support.ts';

const scratch = new CliScratch();
after(() => scratch.cleanup());

const TEST = join(LORA_FIXTURES, 'greet_test.jsonl');
const answerNll = (stdout: string) => Number(/^answer_nll=([\d.]+)$/.exec(lastLine(stdout))?.[1]);

describe('hearth eval / merge / finetune', { skip: FIXTURES_MISSING }, () => {
  it('eval: the base model and PEFT’s greet adapter give PEFT’s answer NLLs (4.19 and 1.14)', async () => {
    const base = await scratch.hearth(['eval', SHAKESPEARE_DIR, '--data', TEST]);
    assert.equal(base.code, 0, base.stderr);
    assert.ok(Math.abs(answerNll(base.stdout) - 4.19) < 0.01, lastLine(base.stdout));
    const adapted = await scratch.hearth(['eval', SHAKESPEARE_DIR, '--adapter', join(LORA_FIXTURES, 'adapter_greet'), '--data', TEST]);
    assert.equal(adapted.code, 0, adapted.stderr);
    assert.ok(Math.abs(answerNll(adapted.stdout) - 1.14) < 0.01, lastLine(adapted.stdout));
  });

  it('merge: the merged folder scores like base + adapter, and builds and runs at int4', async () => {
    const out = join(await scratch.dir(), 'merged');
    const merged = await scratch.hearth(['merge', SHAKESPEARE_DIR, '--adapter', join(LORA_FIXTURES, 'adapter_greet'), '--out', out]);
    assert.equal(merged.code, 0, merged.stderr);
    assert.match(merged.stderr, /merged the adapter into 42 weight/);
    const scored = await scratch.hearth(['eval', out, '--data', TEST]);
    assert.equal(scored.code, 0, scored.stderr);
    assert.ok(Math.abs(answerNll(scored.stdout) - 1.1425) < 1e-3, lastLine(scored.stdout));
    const run = await scratch.hearth(['run', out, '--dtype', 'int4', '--prompt', '<|im_start|>user\nGreet Hamlet.<|im_end|>\n<|im_start|>assistant\n', '--max-new-tokens', '8']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /Good morrow/);
    const again = await scratch.hearth(['merge', SHAKESPEARE_DIR, '--adapter', join(LORA_FIXTURES, 'adapter_greet'), '--out', out]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already holds a model/);
  });

  it('finetune: writes a PEFT adapter and reports the run; bad data is refused with line numbers', async () => {
    const out = join(await scratch.dir(), 'adapter');
    const result = await scratch.hearth(['finetune', SHAKESPEARE_DIR, '--data', join(LORA_FIXTURES, 'greet_train.jsonl'), '--rank', '4', '--targets', 'q_proj,v_proj', '--steps', '3', '--batch', '4', '--out', out]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /54 train examples, 6 eval examples \(10 % held out\)/);
    assert.match(result.stdout, new RegExp(`adapter=${out}\\n`));
    assert.match(lastLine(result.stdout), /^train_loss=[\d.]+ eval_loss=[\d.]+ tokens_per_s=\d+$/);
    assert.ok(existsSync(join(out, 'adapter_model.safetensors')) && existsSync(join(out, 'adapter_config.json')));
    const bad = await scratch.hearth(['finetune', SHAKESPEARE_DIR, '--data', join(SHAKESPEARE_DIR, 'config.json'), '--out', join(out, 'x')]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /config\.json:1: /);
    const usage = await scratch.hearth(['finetune', SHAKESPEARE_DIR, '--out', out]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--data F\.jsonl is required/);
  });
});
