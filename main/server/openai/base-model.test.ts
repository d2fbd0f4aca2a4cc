// A base model (no chat template) in the library: it imports, loads and continues text on
// /v1/completions; /v1/chat/completions answers 400 saying to use /v1/completions, and the app's
// chat says it cannot chat with it. The base model is the bundled demo with its chat template
// taken out (real services, built and run in the real workers).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import OpenAI from 'openai';
import { BUNDLED_MODEL_DIR, openTestServices, RecordingLauncher, scratchDir, type TestServices } from '../../services/services-test-support.ts';
import { startWebShell, type WebShell } from '../web-shell-server.ts';

describe('a base model on the OpenAI-compatible API', { timeout: 300_000 }, () => {
  let test: TestServices;
  let shell: WebShell;
  let client: OpenAI;
  let scratch: { dir: string; remove(): Promise<void> };
  let modelId: string;

  before(async () => {
    scratch = await scratchDir('hearth-base-model-');
    const dir = join(scratch.dir, 'base');
    await cp(BUNDLED_MODEL_DIR, dir, { recursive: true });
    const configFile = join(dir, 'tokenizer_config.json');
    const config = JSON.parse(await readFile(configFile, 'utf8')) as Record<string, unknown>;
    delete config.chat_template;
    await writeFile(configFile, JSON.stringify(config));

    test = await openTestServices(new RecordingLauncher());
    const { services } = test;
    modelId = (await services.handlers['models.import']({ path: dir, name: 'Base demo' })).id;
    shell = await startWebShell({
      backend: services,
      port: 0,
      staticDir: '/nonexistent-hearth-renderer',
      log: () => {},
      openai: { completions: services.openai, apiKey: () => services.localServer.apiKey(), corsOrigins: () => services.localServer.corsOrigins() },
    });
    client = new OpenAI({ baseURL: shell.apiBaseUrl!, apiKey: services.localServer.apiKey(), maxRetries: 0 });
  });

  after(async () => {
    await shell?.close();
    await test?.cleanup();
    await scratch?.remove();
  });

  it('continues a text prompt on /v1/completions', async () => {
    const completion = await client.completions.create({ model: 'Base demo@fp32', prompt: 'ROMEO:\n', max_tokens: 8, temperature: 0 });
    assert.ok(completion.choices[0].text.length > 0, 'some text');
    assert.equal(completion.usage?.completion_tokens, 8);
    const streamed = await client.completions.create({ model: 'Base demo@fp32', prompt: 'ROMEO:\n', max_tokens: 8, temperature: 0, stream: true });
    let text = '';
    for await (const chunk of streamed) text += chunk.choices[0]?.text ?? '';
    assert.equal(text, completion.choices[0].text, 'streamed, the same greedy text');
  });

  it('answers a chat completion with a 400 that says the model has no chat template and to use /v1/completions', async () => {
    const error = await client.chat.completions.create({ model: 'Base demo@fp32', messages: [{ role: 'user', content: 'Hail!' }], max_tokens: 4 }).then(
      () => assert.fail('a chat completion on a base model answered'),
      (failure: unknown) => failure,
    );
    assert.ok(error instanceof OpenAI.BadRequestError, String(error));
    assert.match(error.message, /has no chat template/);
    assert.match(error.message, /\/v1\/completions/);
  });

  it("the app's chat ends the reply with the same reason, and the app keeps running", async () => {
    const { services, events } = test;
    const conversation = await services.handlers['conversations.create']({ modelId, precision: 'fp32' });
    const mark = events.mark();
    const started = await services.handlers['chat.send']({ conversationId: conversation.id, text: 'Hail!' });
    const ended = await events.next(mark, 'chat.ended', (e) => e.message.id === started.assistantMessageId);
    assert.notEqual(ended.message.status, 'complete');
    assert.match(ended.message.error ?? '', /no chat template \(a base model\), so Hearth cannot chat with it: use its OpenAI-compatible \/v1\/completions/);
    const after = await client.completions.create({ model: 'Base demo@fp32', prompt: 'ROMEO:\n', max_tokens: 2, temperature: 0 });
    assert.equal(after.usage?.completion_tokens, 2, 'completions still answer');
  });
});
