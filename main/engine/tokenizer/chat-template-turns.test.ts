// How Hearth applies chat templates the way HF does where templates differ: the token that ends
// a turn (read from the template, not only from generation_config), and a system message folded
// into the first user turn where the template refuses one (Gemma). The tokenizer is the demo
// model's (resources/), with templates of the test's choosing written in its special tokens.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ChatTemplateError } from './chat-template.ts';
import { templateEndOfTurnTokenId } from './end-of-turn-token.ts';
import { encodeChatFoldingSystem, foldSystemIntoFirstUser } from './system-message-folding.ts';
import { TextTokenizer } from './text-tokenizer.ts';

const TOKENIZER_JSON = fileURLToPath(new URL('../../../resources/models/shakespeare-5m/tokenizer.json', import.meta.url));

const CHATML =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/** Gemma 2's template, with the demo vocabulary's <|im_start|>/<|im_end|> for <start_of_turn>/<end_of_turn>. */
const GEMMA_LIKE =
  "{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}" +
  "{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}" +
  "{% if message['role'] == 'assistant' %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}" +
  "{{ '<|im_start|>' + role + '\\n' + message['content'] | trim + '<|im_end|>\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>model\\n' }}{% endif %}";

function tokenizer(chatTemplate: string | null, eosToken = '<|im_end|>'): TextTokenizer {
  const tokenizerJson = JSON.parse(readFileSync(TOKENIZER_JSON, 'utf8')) as object;
  return new TextTokenizer({ tokenizerJson, config: { eos_token: eosToken, pad_token: '<|endoftext|>' }, chatTemplate, origin: 'test' });
}

test('the end-of-turn token is read from the template, also when the tokenizer\'s EOS is another token', () => {
  // As Llama 3's base config does: eos is <|end_of_text|>, while the template ends turns with <|eot_id|>.
  const withOtherEos = tokenizer(CHATML, '<|endoftext|>');
  assert.equal(withOtherEos.eosTokenId, 0);
  assert.equal(templateEndOfTurnTokenId(withOtherEos), withOtherEos.tokenToId('<|im_end|>'));
  assert.equal(templateEndOfTurnTokenId(tokenizer(GEMMA_LIKE)), 2);
});

test('a template that writes no special token after a turn, or no template, gives none', () => {
  assert.equal(templateEndOfTurnTokenId(tokenizer("{% for m in messages %}{{ m['content'] + '\\n' }}{% endfor %}")), null);
  assert.equal(templateEndOfTurnTokenId(tokenizer(null)), null);
});

test('a system message the template refuses is folded into the first user turn, as Gemma 3\'s template does', () => {
  const gemma = tokenizer(GEMMA_LIKE);
  const messages = [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'Who art thou?' },
  ];
  assert.throws(() => gemma.encodeChat(messages, { addGenerationPrompt: true }), ChatTemplateError);
  const ids = encodeChatFoldingSystem(gemma, messages, { addGenerationPrompt: true });
  assert.equal(gemma.decode(ids), '<|im_start|>user\nBe brief.\n\nWho art thou?<|im_end|>\n<|im_start|>model\n');
  // The app's system prompt option is folded the same way.
  assert.deepEqual(encodeChatFoldingSystem(gemma, messages.slice(1), { addGenerationPrompt: true, systemPrompt: 'Be brief.' }), ids);
});

test('a template that takes system messages renders them untouched, and other template errors still surface', () => {
  const chatml = tokenizer(CHATML);
  const messages = [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'hi' },
  ];
  assert.deepEqual(encodeChatFoldingSystem(chatml, messages, { addGenerationPrompt: true }), chatml.encodeChat(messages, { addGenerationPrompt: true }));
  const gemma = tokenizer(GEMMA_LIKE);
  assert.throws(
    () => encodeChatFoldingSystem(gemma, [{ role: 'assistant', content: 'first' }], { addGenerationPrompt: true }),
    (error: unknown) => error instanceof ChatTemplateError && /alternate/.test(error.message),
  );
});

test('folding keeps the other messages and makes a user turn of a lone system message', () => {
  assert.deepEqual(
    foldSystemIntoFirstUser([
      { role: 'system', content: 'A' },
      { role: 'user', content: 'u1' },
      { role: 'assistant', content: 'a1' },
      { role: 'user', content: 'u2' },
    ]),
    [
      { role: 'user', content: 'A\n\nu1' },
      { role: 'assistant', content: 'a1' },
      { role: 'user', content: 'u2' },
    ],
  );
  assert.deepEqual(foldSystemIntoFirstUser([{ role: 'system', content: 'A' }]), [{ role: 'user', content: 'A' }]);
});
