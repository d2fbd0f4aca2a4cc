// An API completion with response_format, as the worker runs it for the /v1 server: the request's
// format reaches the generation (the demo model's reply parses and validates), and a schema
// xgrammar cannot use comes back as an invalid-input error naming the problem.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { collectGeneration } from '../engine/runtime/generate.ts';
import { openModel, type LoadedModel } from '../engine/runtime/model-session.ts';
import { FixtureBuilds } from '../engine/runtime/test/reference-fixtures.ts';
import { loadTokenizer } from '../engine/tokenizer/load-tokenizer.ts';
import { CompletionRunner } from './completion-runner.ts';
import { errorData } from './inference-worker.ts';
import { CompleteRequestSchema, type CompleteRequest } from './worker-protocol.ts';

const DEMO_MODEL_DIR = fileURLToPath(new URL('../../resources/models/shakespeare-5m/', import.meta.url));
const SCHEMA = {
  type: 'object',
  properties: { name: { type: 'string' }, age: { type: 'integer' }, tags: { type: 'array', items: { type: 'string' } } },
  required: ['name', 'age', 'tags'],
};

describe('API completions with response_format on the demo model', () => {
  const builds = new FixtureBuilds();
  let model: LoadedModel;
  let runner: CompletionRunner;
  before(async () => {
    const dir = await builds.build(DEMO_MODEL_DIR, 'shakespeare-5m');
    model = await openModel(dir, { threads: 2 });
    runner = new CompletionRunner(model, await loadTokenizer(dir), {});
  });
  after(async () => {
    runner?.dispose();
    await model?.release();
    await builds.cleanup();
  });

  /** A request as the host sends it, validated as the worker receives it. */
  const request = (responseFormat: unknown, seed: number): CompleteRequest =>
    CompleteRequestSchema.parse({
      type: 'complete',
      requestId: `r${seed}`,
      prompt: { kind: 'chat', messages: [{ role: 'user', content: 'Who art thou? Answer in JSON.' }] },
      sampling: { temperature: 1, seed, maxTokens: 80 },
      logprobs: null,
      responseFormat,
    });

  it('answers in JSON that validates against the schema', async () => {
    const validate = z.fromJSONSchema(SCHEMA as Parameters<typeof z.fromJSONSchema>[0]);
    for (const seed of [11, 12, 13]) {
      const result = await collectGeneration(runner.complete(request({ type: 'json_schema', json_schema: { name: 'person', schema: SCHEMA } }, seed)));
      assert.ok(validate.safeParse(JSON.parse(result.text)).success, `seed ${seed}: ${result.text}`);
      assert.equal(result.stopReason, 'eos');
    }
  });

  it('reports a schema it cannot use as invalid input, naming the problem', async () => {
    const bad = request({ type: 'json_schema', json_schema: { name: 'odd', schema: { type: 'object', properties: { a: { type: 'quaternion' } } } } }, 1);
    await assert.rejects(collectGeneration(runner.complete(bad)), (error: unknown) => {
      const data = errorData(error);
      assert.equal(data.code, 'invalid-input');
      assert.match(data.message, /Unsupported type "quaternion"/);
      return true;
    });
  });

  it('refuses an ill-formed response_format at the process boundary', () => {
    const parsed = CompleteRequestSchema.safeParse({ ...request(undefined, 1), responseFormat: { type: 'json_schema', json_schema: {} } });
    assert.equal(parsed.success, false);
    assert.match(parsed.error!.issues.map((i) => i.path.join('.')).join(' '), /responseFormat\.json_schema\.name/);
  });
});
