// The worker's side of an API completion on shakespeare-5m: the prompt's KV is kept for the next
// request that shares its prefix, the reply ends at the template's end of turn, and the
// request's sampling settings win over the model's generation_config defaults.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { collectGeneration } from '../engine/runtime/generate.ts';
import { openModel, type LoadedModel } from '../engine/runtime/model-session.ts';
import { FixtureBuilds, SHAKESPEARE_DIR, fixturesMissing } from '../engine/runtime/test/reference-fixtures.ts';
import { loadTokenizer } from '../engine/tokenizer/load-tokenizer.ts';
import { TextTokenizer } from '../engine/tokenizer/text-tokenizer.ts';
import { CompletionRunner } from './completion-runner.ts';
import type { CompleteRequest } from './worker-protocol.ts';

const skip = fixturesMissing(SHAKESPEARE_DIR);
const builds = new FixtureBuilds();
after(() => builds.cleanup());

describe('CompletionRunner on shakespeare-5m', { skip }, () => {
  let model: LoadedModel;
  let tokenizer: TextTokenizer;
  before(async () => {
    const dir = await builds.build(SHAKESPEARE_DIR, 'shakespeare-5m');
    model = await openModel(dir, { threads: 2 });
    tokenizer = await loadTokenizer(dir);
  });
  after(() => model?.release());

  const chat = (messages: Extract<CompleteRequest['prompt'], { kind: 'chat' }>['messages'], sampling: CompleteRequest['sampling'] = {}): CompleteRequest => ({
    type: 'complete',
    requestId: 'r',
    prompt: { kind: 'chat', messages },
    sampling: { temperature: 0, maxTokens: 8, ...sampling },
    logprobs: null,
  });

  it('keeps the KV of a prompt the next request extends, and answers as a fresh runner would', async () => {
    const runner = new CompletionRunner(model, tokenizer, {});
    const first = [
      { role: 'system' as const, content: 'Thou art a poet.' },
      { role: 'user' as const, content: 'Who art thou?' },
    ];
    const one = await collectGeneration(runner.complete(chat(first)));
    assert.equal(one.reusedTokens, 0);
    const longer = [...first, { role: 'assistant' as const, content: one.text }, { role: 'user' as const, content: 'And whence?' }];
    const two = await collectGeneration(runner.complete(chat(longer)));
    const firstPrompt = tokenizer.encodeChat(first, { addGenerationPrompt: true }).length;
    assert.ok(two.reusedTokens >= firstPrompt - 1, `reused ${two.reusedTokens} of the first prompt's ${firstPrompt} tokens`);
    assert.equal(two.promptTokens, tokenizer.encodeChat(longer, { addGenerationPrompt: true }).length);

    const fresh = new CompletionRunner(model, tokenizer, {});
    const again = await collectGeneration(fresh.complete(chat(longer)));
    assert.deepEqual(two.ids, again.ids, 'a cached prefix gives the same greedy reply');
    runner.dispose();
    fresh.dispose();
  });

  it("ends the reply at the template's end of turn, also when neither the model's EOS list nor the tokenizer's EOS is that token", async () => {
    // As Llama 3's base configs read: eos is <|end_of_text|>, while the template ends turns with
    // <|eot_id|>. Here: eos <|endoftext|> (0) in both, the ChatML template ending turns with <|im_end|> (2).
    const otherEos = new TextTokenizer({
      tokenizerJson: JSON.parse(readFileSync(join(SHAKESPEARE_DIR, 'tokenizer.json'), 'utf8')) as object,
      config: { eos_token: '<|endoftext|>', pad_token: '<|endoftext|>' },
      chatTemplate: (JSON.parse(readFileSync(join(SHAKESPEARE_DIR, 'tokenizer_config.json'), 'utf8')) as { chat_template: string }).chat_template,
      origin: 'test',
    });
    assert.equal(otherEos.eosTokenId, 0);
    const spec = model.spec as { eosTokenIds: number[] };
    const original = spec.eosTokenIds;
    spec.eosTokenIds = [0];
    try {
      const runner = new CompletionRunner(model, otherEos, {});
      assert.deepEqual(runner.stopTokenIds('chat'), [0, 2], 'chat replies stop at <|im_end|> too');
      assert.deepEqual(runner.stopTokenIds('text'), [0], 'raw text completions stop at the EOS tokens only');
    } finally {
      spec.eosTokenIds = original;
    }
  });

  it('takes the request\'s sampling over the model\'s defaults', async () => {
    // generation_config says greedy; the request samples with a seed: different seeds, different replies.
    const runner = new CompletionRunner(model, tokenizer, { temperature: 0 });
    const messages = [{ role: 'user' as const, content: 'Hail!' }];
    const greedy = await collectGeneration(runner.complete(chat(messages, { temperature: undefined, maxTokens: 12 })));
    const greedyAgain = await collectGeneration(runner.complete(chat(messages, { temperature: undefined, maxTokens: 12, seed: 7 })));
    assert.deepEqual(greedy.ids, greedyAgain.ids, 'the default is greedy: the seed changes nothing');
    const replies = new Set<string>();
    for (const seed of [1, 2, 3, 4]) replies.add((await collectGeneration(runner.complete(chat(messages, { temperature: 1.5, maxTokens: 12, seed })))).ids.join(','));
    assert.ok(replies.size > 1, 'the request\'s temperature samples');
    runner.dispose();
  });
});
