// Structured output on the bundled demo model, a tiny Shakespeare model that never writes JSON on
// its own: with a response format every reply, sampled at temperature 1 with several seeds,
// parses and validates against its schema (checked by zod's JSON Schema reader, a validator that
// does not share xgrammar's code), also when the token budget runs out mid-string.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { ResponseFormat } from '../../common/contracts/response-format.ts';
import { collectGeneration, generate, type GenerationResult } from '../runtime/generate.ts';
import { openModel, type LoadedModel } from '../runtime/model-session.ts';
import { FixtureBuilds } from '../runtime/test/reference-fixtures.ts';
import { loadTokenizer } from '../tokenizer/load-tokenizer.ts';
import type { TextTokenizer } from '../tokenizer/text-tokenizer.ts';
import { CompiledGrammarCache, ResponseFormatError, type ConstrainedFormat } from './compiled-grammar-cache.ts';
import { GrammarConstraint } from './grammar-constraint.ts';

const DEMO_MODEL_DIR = fileURLToPath(new URL('../../../resources/models/shakespeare-5m/', import.meta.url));

const PERSON_SCHEMA = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    age: { type: 'integer' },
    tags: { type: 'array', items: { type: 'string' } },
  },
  required: ['name', 'age', 'tags'],
  additionalProperties: false,
};
const PERSON: ConstrainedFormat = { type: 'json_schema', json_schema: { name: 'person', schema: PERSON_SCHEMA, strict: true } };

const SEEDS = [1, 2, 3, 4, 5];

/** A validator for a JSON Schema (zod reads the schema on its own, without xgrammar). */
const validatorOf = (schema: object) => z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]);

describe('structured output on the demo model', () => {
  const builds = new FixtureBuilds();
  let model: LoadedModel;
  let tokenizer: TextTokenizer;
  let prompt: number[];
  before(async () => {
    const dir = await builds.build(DEMO_MODEL_DIR, 'shakespeare-5m');
    model = await openModel(dir, { threads: 2 });
    tokenizer = await loadTokenizer(dir);
    prompt = tokenizer.encodeChat([{ role: 'user', content: 'Describe a person as JSON.' }], { addGenerationPrompt: true });
  });
  after(async () => {
    await model?.release();
    await builds.cleanup();
  });

  const run = (options: Parameters<typeof generate>[3]): Promise<GenerationResult> =>
    collectGeneration(generate(model, tokenizer, prompt, { temperature: 1, topK: 0, topP: 1, ...options }));

  it('writes no JSON without a response format (what the constraint has to overcome)', async () => {
    for (const seed of SEEDS) {
      const { text } = await run({ seed, maxNewTokens: 48 });
      assert.throws(() => JSON.parse(text), SyntaxError, `seed ${seed} wrote JSON on its own: ${text}`);
    }
  });

  it('json_schema: every reply parses and validates, and ends at end-of-sequence', async () => {
    const validate = validatorOf(PERSON_SCHEMA);
    for (const seed of SEEDS) {
      const result = await run({ seed, maxNewTokens: 160, responseFormat: PERSON });
      const value: unknown = JSON.parse(result.text);
      const check = validate.safeParse(value);
      assert.ok(check.success, `seed ${seed}: ${result.text} does not validate: ${check.error?.message}`);
      assert.equal(result.stopReason, 'eos', `seed ${seed}`);
      assert.ok(model.spec.eosTokenIds.includes(result.ids.at(-1)!), 'the last token is the end-of-sequence token');
    }
  });

  it('json_object: every reply parses as a JSON object', async () => {
    for (const seed of SEEDS) {
      const result = await run({ seed, maxNewTokens: 120, responseFormat: { type: 'json_object' } });
      const value: unknown = JSON.parse(result.text);
      assert.ok(typeof value === 'object' && value !== null && !Array.isArray(value), `seed ${seed}: ${result.text}`);
      assert.equal(result.stopReason, 'eos');
    }
  });

  it('closes the JSON in time when the token budget is small', async () => {
    const validate = validatorOf(PERSON_SCHEMA);
    // The shortest reply, {"name":"","age":0,"tags":[]}, is 24 tokens of this vocabulary, plus end-of-sequence.
    for (const maxNewTokens of [25, 28, 40]) {
      for (const seed of SEEDS.slice(0, 3)) {
        const result = await run({ seed, maxNewTokens, responseFormat: PERSON });
        assert.ok(validate.safeParse(JSON.parse(result.text)).success, `${maxNewTokens} tokens, seed ${seed}: ${result.text}`);
        assert.equal(result.stopReason, 'eos');
      }
    }
    // Below that nothing fits: the reply is cut, as OpenAI cuts it (finish_reason "length").
    const cut = await run({ seed: 1, maxNewTokens: 20, responseFormat: PERSON });
    assert.equal(cut.stopReason, 'max-tokens');
    assert.ok(cut.text.startsWith('{"name":'), cut.text);
  });

  it('is reproducible with a seed, and greedy decoding works too', async () => {
    const first = await run({ seed: 7, maxNewTokens: 64, responseFormat: PERSON });
    const second = await run({ seed: 7, maxNewTokens: 64, responseFormat: PERSON });
    assert.deepEqual(second.ids, first.ids);
    const greedy = await run({ temperature: 0, maxNewTokens: 64, responseFormat: PERSON });
    assert.ok(validatorOf(PERSON_SCHEMA).safeParse(JSON.parse(greedy.text)).success, greedy.text);
  });

  it('keeps properties in the schema\'s order, and honours enum, boolean and nested objects', async () => {
    const schema = {
      type: 'object',
      properties: {
        mood: { enum: ['merry', 'wroth'] },
        sworn: { type: 'boolean' },
        home: { type: 'object', properties: { town: { type: 'string' } }, required: ['town'] },
      },
      required: ['mood', 'sworn', 'home'],
    };
    const validate = validatorOf(schema);
    for (const seed of SEEDS.slice(0, 3)) {
      const result = await run({ seed, maxNewTokens: 96, responseFormat: { type: 'json_schema', json_schema: { name: 'mood', schema } } });
      const value = JSON.parse(result.text) as Record<string, unknown>;
      assert.ok(validate.safeParse(value).success, result.text);
      assert.deepEqual(Object.keys(value), ['mood', 'sworn', 'home']);
    }
  });

  it('refuses a schema xgrammar cannot use, naming the problem, and keeps working after', async () => {
    const bad: ResponseFormat = { type: 'json_schema', json_schema: { name: 'broken', schema: { type: 'nonsense' } } };
    await assert.rejects(run({ seed: 1, maxNewTokens: 8, responseFormat: bad }), (error: unknown) => {
      assert.ok(error instanceof ResponseFormatError, String(error));
      assert.match(error.message, /"broken"/);
      assert.match(error.message, /Unsupported type "nonsense"/);
      return true;
    });
    const badPattern: ResponseFormat = { type: 'json_schema', json_schema: { name: 'pattern', schema: { type: 'string', pattern: '(' } } };
    await assert.rejects(run({ seed: 1, maxNewTokens: 8, responseFormat: badPattern }), ResponseFormatError);
    const result = await run({ seed: 1, maxNewTokens: 64, responseFormat: PERSON });
    assert.ok(validatorOf(PERSON_SCHEMA).safeParse(JSON.parse(result.text)).success, result.text);
  });

  it('refuses structured output when nothing can end the reply', async () => {
    await assert.rejects(run({ seed: 1, maxNewTokens: 8, ignoreEos: true, responseFormat: PERSON }), /end-of-sequence token/);
  });

  it('compiles a grammar once per tokenizer and schema', async () => {
    const cache = new CompiledGrammarCache({ capacity: 2 });
    const options = { vocabSize: model.spec.vocabSize, stopTokenIds: model.spec.eosTokenIds, cache };
    const make = async (format: ConstrainedFormat) => (await GrammarConstraint.create(tokenizer, format, options)).dispose();
    await make(PERSON);
    await make({ type: 'json_schema', json_schema: { name: 'renamed', description: 'the same grammar', schema: PERSON_SCHEMA } });
    assert.equal(cache.size, 1, 'a schema\'s name and description do not make another grammar');
    await make({ type: 'json_object' });
    await make({ type: 'json_schema', json_schema: { name: 'any' } });
    assert.equal(cache.size, 2, 'json_object and a json_schema without a schema share the JSON object grammar');
    await make({ type: 'json_schema', json_schema: { name: 'flag', schema: { type: 'boolean' } } });
    assert.equal(cache.size, 2, 'the least recently used grammar made room');
  });
});
