// usage.prompt_tokens on real chat templates (Llama 3.1, Qwen3, Gemma 3) equals what HF's
// apply_chat_template gives: the prompt's ids as the worker computes them (chatPromptIds, on a
// TextTokenizer over the models' own tokenizer files) must equal HF's, kept in
// test/chat-template-ids.json (made by hand by test/make-chat-template-ids.py), for a system +
// user conversation, a longer one, and with tools offered, called and answered. The messages are
// in OpenAI's form; the /v1 server's conversion of them is tested in main/server/openai.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { chatPromptIds } from './chat-prompt-ids.ts';
import type { ChatMessage } from './chat-template.ts';
import { INSTALL_HINT, loadRealTokenizer, realTokenizerPackages, type RealModel } from './real-tokenizers-test-support.ts';

interface Fixture {
  transformers: string;
  models: {
    model: RealModel;
    template_sha256: string;
    cases: { name: string; messages: (Omit<ChatMessage, 'content'> & { content: string | null })[]; tools?: unknown[]; add_generation_prompt: boolean; text: string; ids: number[] }[];
  }[];
}

const FIXTURE = JSON.parse(readFileSync(new URL('./test/chat-template-ids.json', import.meta.url), 'utf8')) as Fixture;
const packages = realTokenizerPackages();

describe("prompt ids on real chat templates, as HF's apply_chat_template gives them", () => {
  for (const { model, template_sha256, cases } of FIXTURE.models) {
    it(`${model}: ${cases.map((c) => c.name).join(', ')}`, (t) => {
      if (packages === null) return t.skip(INSTALL_HINT);
      const tokenizer = loadRealTokenizer(packages, model);
      assert.equal(createHash('sha256').update(tokenizer.chatTemplateSource!).digest('hex'), template_sha256, 'the template is the one the ids were made with');
      for (const c of cases) {
        // OpenAI's null content (an assistant turn that only calls tools) is '' for the template, as the /v1 server sends it.
        const messages = c.messages.map((m) => ({ ...m, content: m.content ?? '' }));
        const text = tokenizer.applyChatTemplate(messages, { addGenerationPrompt: c.add_generation_prompt, variables: { tools: c.tools } });
        assert.equal(text, c.text, `${model}, ${c.name}: the rendered prompt`);
        assert.deepEqual(chatPromptIds(tokenizer, messages, c.tools, c.add_generation_prompt), c.ids, `${model}, ${c.name}: the ids`);
      }
    });
  }
});
