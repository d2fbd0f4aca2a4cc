// The OpenAI-compatible API as its users meet it: the official `openai` npm client, pointed at
// the web shell's /v1 with the key, against real services (SQLite store, the bundled demo model
// built and run by onnxruntime in the real inference worker).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { z } from 'zod';
import { openTestServices, RecordingLauncher, type TestServices } from '../../services/services-test-support.ts';
import { startWebShell, type WebShell } from '../web-shell-server.ts';

const DEMO = 'Shakespeare 5M (demo)';
/** HF's apply_chat_template of a system + user + assistant + user conversation on the demo tokenizer (transformers 5.17). */
const TOKENIZER_REFERENCE = fileURLToPath(new URL('../../../../shared/fixtures/shakespeare-5m/tokenizer_reference.json', import.meta.url));

interface TokenizerReference {
  chat: { messages: { role: 'system' | 'user' | 'assistant'; content: string }[]; add_generation_prompt: boolean; ids: number[] };
}

describe('the OpenAI-compatible API, through the official openai client', { timeout: 300_000 }, () => {
  let test: TestServices;
  let shell: WebShell;
  let client: OpenAI;
  const logs: string[] = [];

  before(async () => {
    test = await openTestServices(new RecordingLauncher());
    const { services } = test;
    shell = await startWebShell({
      backend: services,
      port: 0,
      staticDir: '/nonexistent-hearth-renderer',
      log: (line) => logs.push(line),
      openai: { completions: services.openai, apiKey: () => services.localServer.apiKey(), corsOrigins: () => services.localServer.corsOrigins() },
    });
    client = new OpenAI({ baseURL: shell.apiBaseUrl!, apiKey: services.localServer.apiKey(), maxRetries: 0 });
  });

  after(async () => {
    await shell?.close();
    await test?.cleanup();
  });

  it('lists the library models, alone and with each precision', async () => {
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    for (const id of [DEMO, `${DEMO}@fp32`, `${DEMO}@fp16`, `${DEMO}@int8`, `${DEMO}@int4`]) assert.ok(ids.includes(id), `${id} in ${ids.join(', ')}`);
    assert.equal((await client.models.retrieve(`${DEMO}@int8`)).owned_by, 'hearth');
  });

  it('answers a chat completion, and the same one streamed, token for token', async () => {
    const messages = [
      { role: 'system' as const, content: 'Thou art a poet.' },
      { role: 'user' as const, content: 'Who art thou?' },
    ];
    const whole = await client.chat.completions.create({ model: DEMO, messages, max_tokens: 12, temperature: 0 });
    assert.equal(whole.object, 'chat.completion');
    const [choice] = whole.choices;
    assert.equal(choice.message.role, 'assistant');
    assert.ok(choice.message.content && choice.message.content.length > 0, 'the reply has text');
    assert.ok(choice.finish_reason === 'length' || choice.finish_reason === 'stop');
    assert.ok(whole.usage && whole.usage.completion_tokens > 0 && whole.usage.completion_tokens <= 12);
    assert.equal(whole.usage.total_tokens, whole.usage.prompt_tokens + whole.usage.completion_tokens);

    const stream = await client.chat.completions.create({ model: DEMO, messages, max_tokens: 12, temperature: 0, stream: true, stream_options: { include_usage: true } });
    let text = '';
    let role: string | undefined;
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | null | undefined;
    let chunks = 0;
    const ids = new Set<string>();
    for await (const chunk of stream) {
      chunks++;
      ids.add(chunk.id);
      if (chunk.usage) usage = chunk.usage;
      for (const c of chunk.choices) {
        role ??= c.delta.role ?? undefined;
        text += c.delta.content ?? '';
        finish = c.finish_reason ?? finish;
      }
    }
    assert.equal(role, 'assistant');
    assert.equal(ids.size, 1, 'every chunk carries the reply\'s id');
    assert.ok(chunks > 3, `the reply came in pieces (${chunks} chunks)`);
    assert.equal(text, choice.message.content, 'greedy decoding streams the same reply');
    assert.equal(finish, choice.finish_reason);
    assert.deepEqual(usage, whole.usage, 'the usage chunk counts the same tokens');
  });

  it("counts the prompt's tokens as HF's apply_chat_template does", async (t) => {
    if (!existsSync(TOKENIZER_REFERENCE)) return t.skip(`the tokenizer reference is not at ${TOKENIZER_REFERENCE}`);
    const { chat } = JSON.parse(readFileSync(TOKENIZER_REFERENCE, 'utf8')) as TokenizerReference;
    assert.equal(chat.add_generation_prompt, true);
    const reply = await client.chat.completions.create({ model: DEMO, messages: chat.messages, max_tokens: 1 });
    assert.equal(reply.usage?.prompt_tokens, chat.ids.length);
  });

  it('answers a text completion, with OpenAI\'s 16-token default length', async () => {
    const reply = await client.completions.create({ model: DEMO, prompt: 'ROMEO:\nWhat light', temperature: 0 });
    assert.equal(reply.object, 'text_completion');
    assert.equal(typeof reply.choices[0].text, 'string');
    assert.ok(reply.usage!.completion_tokens > 0 && reply.usage!.completion_tokens <= 16);
    let streamed = '';
    for await (const chunk of await client.completions.create({ model: DEMO, prompt: 'ROMEO:\nWhat light', temperature: 0, stream: true })) streamed += chunk.choices[0]?.text ?? '';
    assert.equal(streamed, reply.choices[0].text);
  });

  it('stops before a stop string and says so', async () => {
    const messages = [{ role: 'user' as const, content: 'Speak, good sir.' }];
    const free = await client.chat.completions.create({ model: DEMO, messages, max_tokens: 24, temperature: 0 });
    const text = free.choices[0].message.content!;
    const stop = text.slice(6, 9);
    assert.ok(stop.length === 3, `the free reply is long enough: ${JSON.stringify(text)}`);
    const stopped = await client.chat.completions.create({ model: DEMO, messages, max_tokens: 24, temperature: 0, stop: ['never-written', stop] });
    assert.equal(stopped.choices[0].message.content, text.slice(0, text.indexOf(stop)));
    assert.equal(stopped.choices[0].finish_reason, 'stop');
  });

  it('reports logprobs with the top alternatives, the chosen token first under greedy decoding', async () => {
    const reply = await client.chat.completions.create({ model: DEMO, messages: [{ role: 'user', content: 'Hail!' }], max_tokens: 5, temperature: 0, logprobs: true, top_logprobs: 3 });
    const content = reply.choices[0].logprobs?.content;
    assert.ok(content && content.length === reply.usage!.completion_tokens, 'one entry per generated token');
    for (const entry of content) {
      assert.equal(entry.top_logprobs.length, 3);
      assert.ok(entry.logprob <= 0);
      assert.equal(entry.top_logprobs[0].token, entry.token);
      assert.equal(entry.top_logprobs[0].logprob, entry.logprob);
      assert.ok(entry.top_logprobs[0].logprob >= entry.top_logprobs[1].logprob && entry.top_logprobs[1].logprob >= entry.top_logprobs[2].logprob);
    }
  });

  it('gives the same sampled reply for the same seed, and takes Hearth\'s extras and the penalties', async () => {
    const request = { model: DEMO, messages: [{ role: 'user' as const, content: 'Hail!' }], max_tokens: 10, temperature: 1, seed: 42, top_k: 40, min_p: 0.01, repetition_penalty: 1.1, presence_penalty: 0.5, frequency_penalty: 0.5 };
    const first = await client.chat.completions.create(request as OpenAI.ChatCompletionCreateParamsNonStreaming);
    const second = await client.chat.completions.create(request as OpenAI.ChatCompletionCreateParamsNonStreaming);
    assert.equal(second.choices[0].message.content, first.choices[0].message.content);
  });

  it('builds and loads a precision named after @ (int4)', async () => {
    const reply = await client.chat.completions.create({ model: `${DEMO}@int4`, messages: [{ role: 'user', content: 'Hail!' }], max_tokens: 4, temperature: 0 });
    assert.equal(reply.model, `${DEMO}@int4`);
    assert.ok(reply.usage!.completion_tokens > 0);
    const variants = test.services.handlers['models.list']({});
    const demo = (await variants).find((m) => m.name === DEMO)!;
    assert.equal(demo.variants.find((v) => v.precision === 'int4')?.status, 'ready');
  });

  it('runs two requests at once: both complete, the second starting before the first ends', async () => {
    const messages = [{ role: 'user' as const, content: 'Hail!' }];
    const events: string[] = [];
    const streamed = async (name: string) => {
      const stream = await client.chat.completions.create({ model: DEMO, messages, max_tokens: 60, temperature: 0, stream: true });
      let text = '';
      for await (const chunk of stream) {
        const piece = chunk.choices[0]?.delta?.content ?? '';
        if (piece !== '' && text === '') events.push(`${name} first token`);
        text += piece;
      }
      events.push(`${name} end`);
      return text;
    };
    const [a, b] = await Promise.all([streamed('a'), streamed('b')]);
    assert.ok(events.indexOf('b first token') < events.indexOf('a end'), `events: ${events.join(', ')}`);
    assert.ok(events.indexOf('a first token') < events.indexOf('b end'), `events: ${events.join(', ')}`);
    assert.ok(a.length > 0);
    assert.equal(a, b, 'the same greedy request gives the same reply beside another');
  });

  it('answers 400 naming a bad parameter, in OpenAI\'s error shape', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ temperature: 'hot' }, 'temperature'],
      [{ temperature: 3 }, 'temperature'],
      [{ n: 2 }, 'n'],
      [{ frobnicate: true }, 'frobnicate'],
      [{ stop: 7 }, 'stop'],
      [{ top_logprobs: 2 }, 'top_logprobs'],
      [{ stream_options: { include_usage: true } }, 'stream_options'],
      [{ response_format: { type: 'xml' } }, 'response_format.type'],
      [{ response_format: { type: 'json_schema', json_schema: { name: 'a person' } } }, 'response_format.json_schema.name'],
      [{ messages: [{ role: 'user', content: 'hi', colour: 'red' }] }, 'messages[0].colour'],
    ];
    for (const [extra, param] of cases) {
      const request = { model: DEMO, messages: [{ role: 'user', content: 'hi' }], max_tokens: 2, ...extra };
      await assert.rejects(
        client.chat.completions.create(request as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming),
        (error: unknown) => {
          assert.ok(error instanceof OpenAI.BadRequestError, `${JSON.stringify(extra)}: ${String(error)}`);
          assert.equal(error.status, 400);
          assert.equal(error.param, param, JSON.stringify(extra));
          assert.equal(error.type, 'invalid_request_error');
          assert.match(error.message, new RegExp(param.replace(/[[\].]/g, '\\$&')));
          return true;
        },
      );
    }
  });

  it('answers JSON that parses and validates against a json_schema, from a model that never writes JSON on its own, streamed too', async () => {
    const schema = {
      type: 'object',
      properties: { name: { type: 'string' }, age: { type: 'integer' }, lines: { type: 'array', items: { type: 'string' } } },
      required: ['name', 'age', 'lines'],
      additionalProperties: false,
    };
    const validate = z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]);
    const messages = [{ role: 'user' as const, content: 'Who art thou? Answer in JSON.' }];
    const response_format = { type: 'json_schema' as const, json_schema: { name: 'player', schema, strict: true } };
    // Unconstrained, the demo model writes verse, not JSON: the format is what makes the reply parse.
    const free = await client.chat.completions.create({ model: DEMO, messages, max_tokens: 40, temperature: 0 });
    assert.throws(() => JSON.parse(free.choices[0].message.content!), SyntaxError);
    for (const seed of [1, 2]) {
      const reply = await client.chat.completions.create({ model: DEMO, messages, max_tokens: 120, temperature: 1, seed, response_format });
      const text = reply.choices[0].message.content!;
      assert.equal(reply.choices[0].finish_reason, 'stop', `seed ${seed}: the reply ended by itself: ${text}`);
      assert.ok(validate.safeParse(JSON.parse(text)).success, `seed ${seed}: ${text}`);
    }
    let streamed = '';
    for await (const chunk of await client.chat.completions.create({ model: DEMO, messages, max_tokens: 120, temperature: 1, seed: 3, response_format, stream: true })) {
      streamed += chunk.choices[0]?.delta.content ?? '';
    }
    assert.ok(validate.safeParse(JSON.parse(streamed)).success, streamed);
    const anyObject = await client.chat.completions.create({ model: DEMO, messages, max_tokens: 120, temperature: 1, seed: 4, response_format: { type: 'json_object' } });
    const parsed: unknown = JSON.parse(anyObject.choices[0].message.content!);
    assert.ok(parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed), anyObject.choices[0].message.content!);
  });

  it('calls the tool tool_choice names or requires (forced by the grammar), streamed as deltas too, and takes the answer back through the template', async () => {
    const weather = {
      type: 'object',
      properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } },
      required: ['city', 'unit'],
      additionalProperties: false,
    };
    const time = { type: 'object', properties: { zone: { type: 'string' } }, required: ['zone'], additionalProperties: false };
    const tools: OpenAI.ChatCompletionTool[] = [
      { type: 'function', function: { name: 'get_weather', description: 'The weather in a city.', parameters: weather } },
      { type: 'function', function: { name: 'get_time', description: 'The time in a zone.', parameters: time } },
    ];
    const schemaOf: Record<string, z.ZodType> = {
      get_weather: z.fromJSONSchema(weather as Parameters<typeof z.fromJSONSchema>[0]),
      get_time: z.fromJSONSchema(time as Parameters<typeof z.fromJSONSchema>[0]),
    };
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'What weather hath Verona?' }];
    const checkCall = (call: OpenAI.ChatCompletionMessageToolCall, names: string[]) => {
      assert.equal(call.type, 'function');
      assert.match(call.id, /^call_[0-9a-f]{24}$/);
      assert.ok(call.type === 'function' && names.includes(call.function.name), JSON.stringify(call));
      if (call.type === 'function') assert.ok(schemaOf[call.function.name].safeParse(JSON.parse(call.function.arguments)).success, call.function.arguments);
    };

    const named = await client.chat.completions.create({ model: DEMO, messages, tools, tool_choice: { type: 'function', function: { name: 'get_weather' } }, max_tokens: 120, seed: 5 });
    assert.equal(named.choices[0].finish_reason, 'tool_calls');
    assert.equal(named.choices[0].message.content, null);
    assert.equal(named.choices[0].message.tool_calls?.length, 1);
    checkCall(named.choices[0].message.tool_calls![0], ['get_weather']);

    const required = await client.chat.completions.create({ model: DEMO, messages, tools, tool_choice: 'required', max_tokens: 120, seed: 6 });
    assert.equal(required.choices[0].finish_reason, 'tool_calls');
    checkCall(required.choices[0].message.tool_calls![0], ['get_weather', 'get_time']);

    // Streamed: the call comes as tool_calls deltas (joined by index), never as text.
    const calls: { id?: string; name: string; arguments: string }[] = [];
    let text = '';
    let finish: string | null = null;
    for await (const chunk of await client.chat.completions.create({ model: DEMO, messages, tools, tool_choice: { type: 'function', function: { name: 'get_weather' } }, max_tokens: 120, seed: 7, stream: true })) {
      const choice = chunk.choices[0];
      if (!choice) continue;
      text += choice.delta.content ?? '';
      finish = choice.finish_reason ?? finish;
      for (const delta of choice.delta.tool_calls ?? []) {
        calls[delta.index] ??= { name: '', arguments: '' };
        calls[delta.index].id ??= delta.id;
        calls[delta.index].name += delta.function?.name ?? '';
        calls[delta.index].arguments += delta.function?.arguments ?? '';
      }
    }
    assert.equal(text, '');
    assert.equal(finish, 'tool_calls');
    assert.equal(calls.length, 1);
    checkCall({ id: calls[0].id!, type: 'function', function: { name: calls[0].name, arguments: calls[0].arguments } }, ['get_weather']);

    // The call and the tool's answer go back through the template: the prompt grows by them, and the model answers in text.
    const call = named.choices[0].message.tool_calls![0];
    const answered = await client.chat.completions.create({
      model: DEMO,
      messages: [...messages, named.choices[0].message, { role: 'tool', tool_call_id: call.id, content: '{"sky": "clear", "celsius": 21}' }],
      tools,
      max_tokens: 8,
      temperature: 0,
    });
    assert.ok(answered.usage!.prompt_tokens > named.usage!.prompt_tokens + 10, `${answered.usage!.prompt_tokens} vs ${named.usage!.prompt_tokens}`);
    assert.equal(typeof answered.choices[0].message.content, 'string');
    assert.equal(answered.choices[0].message.tool_calls, undefined, 'the demo model writes verse, not calls, when free to');
  });

  it('with tools offered and the choice left to the model, streams its text as it comes', async () => {
    const tools: OpenAI.ChatCompletionTool[] = [{ type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: {} } } }];
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Speak, good sir.' }];
    const whole = await client.chat.completions.create({ model: DEMO, messages, tools, max_tokens: 16, temperature: 0 });
    let streamed = '';
    let chunks = 0;
    for await (const chunk of await client.chat.completions.create({ model: DEMO, messages, tools, max_tokens: 16, temperature: 0, stream: true })) {
      if (chunk.choices[0]?.delta.content) chunks++;
      streamed += chunk.choices[0]?.delta.content ?? '';
    }
    assert.equal(streamed, whole.choices[0].message.content);
    assert.ok(chunks > 3, `the text came in pieces (${chunks})`);
  });

  it('answers 400 naming response_format for a schema the grammar compiler refuses', async () => {
    const response_format = { type: 'json_schema' as const, json_schema: { name: 'odd', schema: { type: 'object', properties: { a: { type: 'quaternion' } } } } };
    await assert.rejects(client.chat.completions.create({ model: DEMO, messages: [{ role: 'user', content: 'hi' }], max_tokens: 4, response_format }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.BadRequestError, String(error));
      assert.equal(error.param, 'response_format');
      assert.match(error.message, /quaternion/);
      return true;
    });
  });

  it('answers 404 for a model the library does not have, naming the ones it has', async () => {
    await assert.rejects(client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.NotFoundError);
      assert.equal(error.code, 'model_not_found');
      assert.match(error.message, /Shakespeare 5M/);
      return true;
    });
  });

  it('answers 400 context_length_exceeded for a prompt longer than the context, in a stream too', async () => {
    const messages = [{ role: 'user' as const, content: 'To be, or not to be. '.repeat(400) }];
    await assert.rejects(client.chat.completions.create({ model: DEMO, messages }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.BadRequestError, String(error));
      assert.equal(error.code, 'context_length_exceeded');
      assert.match(error.message, /context holds \d+/);
      return true;
    });
    // Streamed, the failure comes after the 200 as an error message, which the client raises.
    await assert.rejects(
      (async () => {
        for await (const chunk of await client.chat.completions.create({ model: DEMO, messages, stream: true })) void chunk;
      })(),
      (error: unknown) => error instanceof OpenAI.APIError && /context holds/.test(error.message),
    );
  });

  it('answers 401 for a wrong or missing key', async () => {
    const wrong = new OpenAI({ baseURL: shell.apiBaseUrl!, apiKey: 'hearth-not-the-key', maxRetries: 0 });
    await assert.rejects(wrong.models.list(), (error: unknown) => error instanceof OpenAI.AuthenticationError && error.status === 401 && error.code === 'invalid_api_key');
    const noKey = await fetch(`${shell.apiBaseUrl}/models`);
    assert.equal(noKey.status, 401);
    assert.equal(((await noKey.json()) as { error: { type: string } }).error.type, 'authentication_error');
  });

  it('logs no internal errors', () => {
    assert.deepEqual(logs, []);
  });
});
