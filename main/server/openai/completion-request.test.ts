// A /v1 chat request body turned into the prompt the worker renders: tool calls and tool answers
// pass to the template as HF takes them (the conversations of the real-template fixture, whose ids
// engine/tokenizer/chat-prompt-ids.test.ts checks against HF's), tool_choice picks the tools the
// model is shown, and what cannot be honoured is a 400 naming the parameter.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { chatCompletionInput } from './completion-request.ts';
import { OpenAiError } from './openai-error.ts';
import { parseRequestBody } from './parameter-errors.ts';
import { ChatCompletionRequestSchema } from './request-schemas.ts';

const FIXTURE = JSON.parse(readFileSync(new URL('../../engine/tokenizer/test/chat-template-ids.json', import.meta.url), 'utf8')) as {
  models: { model: string; cases: { name: string; messages: { content: string | null }[]; tools?: { function: { name: string } }[] }[] }[];
};
const qwen = FIXTURE.models.find((m) => m.model === 'qwen3')!;
const roundTrip = qwen.cases.find((c) => c.name === 'tool call and its answer')!;
const offered = qwen.cases.find((c) => c.name === 'tools offered')!;

function input(body: Record<string, unknown>) {
  return chatCompletionInput(parseRequestBody(ChatCompletionRequestSchema, { model: 'm', ...body }));
}

function refusal(body: Record<string, unknown>): OpenAiError {
  try {
    input(body);
  } catch (error) {
    assert.ok(error instanceof OpenAiError, String(error));
    return error;
  }
  assert.fail(`accepted ${JSON.stringify(body)}`);
}

describe('a /v1 chat request as the worker gets its prompt', () => {
  it('passes tool calls, tool answers and the tools as the fixture gave them to HF (null content as "")', () => {
    const { prompt } = input({ messages: roundTrip.messages, tools: roundTrip.tools });
    assert.equal(prompt.kind, 'chat');
    assert.deepEqual(prompt, { kind: 'chat', messages: roundTrip.messages.map((m) => ({ ...m, content: m.content ?? '' })), tools: roundTrip.tools });
  });

  it('shows the model every tool, the named one only, or none, as tool_choice says', () => {
    const tools = offered.tools!;
    const shown = (toolChoice: unknown) => {
      const { prompt } = input({ messages: offered.messages, tools, ...(toolChoice === undefined ? {} : { tool_choice: toolChoice }) });
      return prompt.kind === 'chat' ? (prompt.tools ?? []).map((t) => t.function.name) : null;
    };
    assert.deepEqual(shown(undefined), ['get_weather', 'get_time']);
    assert.deepEqual(shown('auto'), ['get_weather', 'get_time']);
    assert.deepEqual(shown('required'), ['get_weather', 'get_time']);
    assert.deepEqual(shown({ type: 'function', function: { name: 'get_time' } }), ['get_time']);
    assert.deepEqual(shown('none'), []);
  });

  it('refuses what it cannot honour, naming the parameter', () => {
    const messages = [{ role: 'user', content: 'hi' }];
    assert.equal(refusal({ messages, tool_choice: 'required' }).param, 'tool_choice');
    assert.equal(refusal({ messages, tools: offered.tools, tool_choice: { type: 'function', function: { name: 'launch' } } }).param, 'tool_choice');
    assert.equal(refusal({ messages: [...messages, { role: 'tool', content: '42' }] }).param, 'messages[1].tool_call_id');
    const call = { id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } };
    assert.equal(refusal({ messages: [{ role: 'user', content: 'hi', tool_calls: [call] }] }).param, 'messages[0].tool_calls');
    assert.equal(refusal({ messages, tools: [{ type: 'function', function: { name: 'has space' } }] }).param, 'tools[0].function.name');
  });

  it("forces a call with the grammar for tool_choice 'required' or a named function: one of the tools' names and its arguments' schema", () => {
    const tools = offered.tools as { function: { name: string; parameters: object } }[];
    const named = input({ messages: offered.messages, tools, tool_choice: { type: 'function', function: { name: 'get_time' } }, response_format: { type: 'json_object' } });
    assert.deepEqual(named.responseFormat, {
      type: 'json_schema',
      json_schema: {
        name: 'tool_call',
        schema: { type: 'object', properties: { name: { const: 'get_time' }, arguments: tools[1].function.parameters }, required: ['name', 'arguments'], additionalProperties: false },
      },
    });
    const required = input({ messages: offered.messages, tools, tool_choice: 'required' }).responseFormat;
    assert.ok(required?.type === 'json_schema');
    const anyOf = (required.json_schema.schema as { anyOf: { properties: { name: { const: string } } }[] }).anyOf;
    assert.deepEqual(anyOf.map((s) => s.properties.name.const), ['get_weather', 'get_time']);
    assert.equal(input({ messages: offered.messages, tools, tool_choice: 'auto' }).responseFormat, undefined, 'auto leaves the model free');
  });

  it('passes response_format through', () => {
    const response_format = { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object' } } };
    assert.deepEqual(input({ messages: [{ role: 'user', content: 'hi' }], response_format }).responseFormat, response_format);
    assert.equal('responseFormat' in input({ messages: [{ role: 'user', content: 'hi' }] }), false);
  });
});
