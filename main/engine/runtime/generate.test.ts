// Generation on shakespeare-5m, a small trained model with a real tokenizer: greedy output
// against PyTorch, seeded sampling, and every way a generation stops.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadTokenizer } from '../tokenizer/load-tokenizer.ts';
import type { TextTokenizer } from '../tokenizer/text-tokenizer.ts';
import { collectGeneration, generate } from './generate.ts';
import type { GenerationResult, StandaloneGenerationOptions, TokenEvent } from './generate.ts';
import { openModel } from './model-session.ts';
import type { LoadedModel } from './model-session.ts';
import { FixtureBuilds, SHAKESPEARE_DIR, fixturesMissing } from './test/reference-fixtures.ts';

interface GreedyReference {
  prompt_ids: number[];
  ids: number[];
  text: string;
}

const skip = fixturesMissing(SHAKESPEARE_DIR);
const builds = new FixtureBuilds();
after(() => builds.cleanup());

describe('generate on shakespeare-5m', { skip }, () => {
  let model: LoadedModel;
  let tokenizer: TextTokenizer;
  let greedy: Record<string, GreedyReference>;
  before(async () => {
    const dir = await builds.build(SHAKESPEARE_DIR, 'shakespeare-5m');
    model = await openModel(dir, { threads: 2 });
    tokenizer = await loadTokenizer(dir);
    greedy = JSON.parse(await readFile(join(SHAKESPEARE_DIR, 'reference.json'), 'utf8')).greedy;
  });
  after(() => model?.release());

  const run = async (prompt: string, options: StandaloneGenerationOptions, signal?: AbortSignal) => {
    const events: TokenEvent[] = [];
    const result = await collectGeneration(generate(model, tokenizer, tokenizer.encode(prompt), options, signal), (e) => events.push(e));
    return { result, events };
  };

  it('reproduces the greedy continuations of the three reference prompts, ids and text', async () => {
    assert.equal(Object.keys(greedy).length, 3);
    for (const [prompt, expected] of Object.entries(greedy)) {
      assert.deepEqual(tokenizer.encode(prompt), expected.prompt_ids, `prompt ids of ${JSON.stringify(prompt)}`);
      for (const cache of ['shared-buffer', 'growing'] as const) {
        const { result, events } = await run(prompt, { temperature: 0, maxNewTokens: expected.ids.length, cache });
        assert.deepEqual(result.ids, expected.ids, `${JSON.stringify(prompt)} with the ${cache} cache`);
        assert.equal(result.text, expected.text);
        assert.equal(events.map((e) => e.text).join(''), result.text, 'the streamed pieces add up to the text');
        assert.equal(result.promptTokens, expected.prompt_ids.length);
      }
    }
  });

  it('samples the same tokens for the same seed, and others for another seed', async () => {
    const options = { temperature: 1, topK: 0, topP: 0.95, maxNewTokens: 24, seed: 1234 };
    const first = await run('ROMEO:', options);
    const second = await run('ROMEO:', options);
    const other = await run('ROMEO:', { ...options, seed: 99 });
    assert.deepEqual(second.result.ids, first.result.ids);
    assert.equal(first.result.seed, 1234);
    assert.notDeepEqual(other.result.ids, first.result.ids);
  });

  it('stops at maxNewTokens and reports its timings', async () => {
    const { result } = await run('KING', { temperature: 0, maxNewTokens: 5 });
    assert.equal(result.stopReason, 'max-tokens');
    assert.equal(result.ids.length, 5);
    assert.equal(result.perTokenMs.length, 5);
    assert.equal(result.ttftMs, result.perTokenMs[0]);
    assert.ok(result.ttftMs > 0);
    assert.ok(result.tokensPerSecond > 0);
  });

  it('stops at an end-of-sequence token', async () => {
    const firstToken = greedy['ROMEO:'].ids[0];
    const { result } = await run('ROMEO:', { temperature: 0, maxNewTokens: 10, eosTokenIds: [firstToken] });
    assert.equal(result.stopReason, 'eos');
    assert.deepEqual(result.ids, [firstToken]);
  });

  it('stops at a stop string and leaves it out of the text', async () => {
    // The greedy reply is "\nI'll be a cheek, and a cheek,\n..."
    const { result, events } = await run('ROMEO:', { temperature: 0, maxNewTokens: 40, stop: [', and'] });
    assert.equal(result.stopReason, 'stop-string');
    assert.equal(result.text, "\nI'll be a cheek");
    assert.equal(events.map((e) => e.text).join(''), result.text);
    assert.ok(result.ids.length < 40);
  });

  it('returns the partial result when aborted mid-stream', async () => {
    const controller = new AbortController();
    let seen = 0;
    const generation = generate(model, tokenizer, tokenizer.encode('ROMEO:'), { temperature: 0, maxNewTokens: 40 }, controller.signal);
    const result: GenerationResult = await collectGeneration(generation, () => {
      if (++seen === 3) controller.abort();
    });
    assert.equal(result.stopReason, 'aborted');
    assert.deepEqual(result.ids, greedy['ROMEO:'].ids.slice(0, 3));
    assert.ok(greedy['ROMEO:'].text.startsWith(result.text) && result.text.length > 0);
  });

  it('stops when the context is full', async () => {
    const prompt = tokenizer.encode('ROMEO:');
    const result = await collectGeneration(generate(model, tokenizer, prompt, { temperature: 0, maxNewTokens: 40, contextLength: prompt.length + 3 }));
    assert.equal(result.stopReason, 'context-full');
    // Three tokens fit after the prompt; the fourth is sampled from the full context but cannot be fed.
    assert.deepEqual(result.ids, greedy['ROMEO:'].ids.slice(0, 4));
  });
});
