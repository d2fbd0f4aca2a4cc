// Reading tool calls out of a reply, on what real chat templates make a model write: the
// assistant turns with tool calls that HF's apply_chat_template rendered through Qwen3's and
// Llama 3.1's templates (engine/tokenizer/test/chat-template-ids.json), whole and streamed in pieces; and the
// replies that are not calls, which must stay text.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseToolCalls, ToolCallStream, type ParsedToolCall } from './tool-call-output.ts';

interface FixtureCase {
  name: string;
  messages: { role: string; tool_calls?: { function: { name: string; arguments: string } }[] }[];
  text: string;
}
const FIXTURE = JSON.parse(readFileSync(new URL('../../engine/tokenizer/test/chat-template-ids.json', import.meta.url), 'utf8')) as {
  models: { model: string; cases: FixtureCase[] }[];
};

/** Where each template opens and closes an assistant turn. */
const ASSISTANT_TURN: Record<string, [string, string]> = {
  qwen3: ['<|im_start|>assistant\n', '<|im_end|>'],
  'llama-3.1': ['<|start_header_id|>assistant<|end_header_id|>\n\n', '<|eot_id|>'],
};

/** The first assistant turn's text in a rendered conversation: what the model wrote there. */
function assistantTurn(model: string, text: string): string {
  const [open, close] = ASSISTANT_TURN[model];
  const start = text.indexOf(open) + open.length;
  return text.slice(start, text.indexOf(close, start));
}

/** The calls the fixture's assistant message made, arguments parsed. */
function expectedCalls(c: FixtureCase) {
  const message = c.messages.find((m) => m.tool_calls);
  return message!.tool_calls!.map((call) => ({ name: call.function.name, arguments: JSON.parse(call.function.arguments) as unknown }));
}

function parsed(calls: readonly ParsedToolCall[]) {
  return calls.map((call) => ({ name: call.name, arguments: JSON.parse(call.arguments) as unknown }));
}

/** The reply streamed in pieces of `size` characters: what was sent as content, and the calls. */
function streamed(text: string, size: number) {
  const stream = new ToolCallStream();
  let content = '';
  for (let at = 0; at < text.length; at += size) content += stream.push(text.slice(at, at + size));
  const end = stream.finish();
  return { content: content + end.content, calls: end.calls };
}

const withCalls = FIXTURE.models.flatMap(({ model, cases }) => cases.filter((c) => c.messages.some((m) => m.tool_calls)).map((c) => ({ model, c })));

describe('tool calls in replies written as real chat templates teach', () => {
  it('the fixture has the Hermes/Qwen and the Llama 3.1 forms, one and two calls', () => {
    assert.deepEqual([...new Set(withCalls.map((x) => x.model))].sort(), ['llama-3.1', 'qwen3']);
    assert.ok(withCalls.some(({ c }) => expectedCalls(c).length === 2));
  });

  for (const { model, c } of withCalls) {
    it(`${model}, ${c.name}: the calls, with arguments as JSON text, and no call left in the text`, () => {
      const turn = assistantTurn(model, c.text);
      assert.ok(turn.includes('get_weather'), turn);
      const output = parseToolCalls(turn);
      assert.deepEqual(parsed(output.calls), expectedCalls(c));
      for (const call of output.calls) assert.equal(typeof call.arguments, 'string');
      assert.ok(output.content === null || !output.content.includes('get_weather'), `content: ${output.content}`);
      for (const size of [1, 3, 7, 1000]) {
        const stream = streamed(turn, size);
        assert.deepEqual(parsed(stream.calls), expectedCalls(c), `pieces of ${size}`);
        assert.ok(!stream.content.includes('get_weather') && !stream.content.includes('<tool_call>'), `pieces of ${size}: content ${JSON.stringify(stream.content)}`);
      }
    });
  }

  it('Qwen3: the text before the calls is the content (its empty think block included)', () => {
    const { c } = withCalls.find(({ c }) => c.name === 'two calls')!;
    const output = parseToolCalls(assistantTurn('qwen3', c.text));
    assert.equal(output.content, '<think>\n\n</think>');
  });

  it('Llama 3.x: after <|python_tag|>, several calls joined by ";", "arguments" for "parameters"', () => {
    const output = parseToolCalls('<|python_tag|>{"name": "get_weather", "parameters": {"city": "Paris"}}; {"name": "get_time", "arguments": {"zone": "UTC"}}');
    assert.deepEqual(parsed(output.calls), [
      { name: 'get_weather', arguments: { city: 'Paris' } },
      { name: 'get_time', arguments: { zone: 'UTC' } },
    ]);
    assert.equal(output.content, null);
  });

  it('a call whose tag the reply never closed (it ended there) is still a call', () => {
    assert.deepEqual(parsed(parseToolCalls('<tool_call>\n{"name": "f", "arguments": {}}\n').calls), [{ name: 'f', arguments: {} }]);
  });

  it('text is text: no calls, and streamed as it comes', () => {
    for (const text of [
      'The capital of France is Paris.',
      '{"answer": 42}',
      'Use <tool> tags, or <tool_call>not json</tool_call>.',
      '<tool_call>\n{"arguments": {}}\n</tool_call>',
      '{"name": "f", "parameters": {}} and then more',
    ]) {
      const output = parseToolCalls(text);
      assert.deepEqual(output, { content: text, calls: [] }, text);
      assert.deepEqual(streamed(text, 2), { content: text, calls: [] }, text);
    }
    const stream = new ToolCallStream();
    assert.equal(stream.push('Paris is'), 'Paris is', 'plain text goes out at once');
    assert.equal(stream.push(' lovely <tool'), ' lovely ', 'a tail that may open a call waits');
    assert.equal(stream.push('s>'), '<tools>', 'and goes once it does not');
  });

  it('text before a tag is streamed; the call is held back', () => {
    const stream = new ToolCallStream();
    assert.equal(stream.push('Let me look.\n'), 'Let me look.\n');
    assert.equal(stream.push('<tool_call>\n{"name": "get_weather", '), '');
    assert.equal(stream.push('"arguments": {"city": "Oslo"}}\n</tool_call>'), '');
    const end = stream.finish();
    assert.equal(end.content, '');
    assert.deepEqual(parsed(end.calls), [{ name: 'get_weather', arguments: { city: 'Oslo' } }]);
  });
});
