// Start-up of the services: a corrupt database is replaced by an empty one with a backup kept
// and a notice the user sees, answers a crash left streaming come back as interrupted, and
// app.status reports the data directory and an idle worker.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { databaseFileIn, openStore } from '../store/store.ts';
import { createServices } from './create-services.ts';
import { CPU_ONLY_MACHINE, NO_WORKER, RESOURCES_DIR, scratchDir } from './services-test-support.ts';

/** better-sqlite3's own build (for Node), named explicitly as the Electron app names its build. */
const NODE_SQLITE_BUILD = createRequire(import.meta.url).resolve('better-sqlite3/build/Release/better_sqlite3.node');

let scratch: { dir: string; remove(): Promise<void> };
before(async () => {
  scratch = await scratchDir('hearth-start-');
});
after(() => scratch.remove());

function open(dataDir: string) {
  return createServices({ dataDir, resourcesDir: RESOURCES_DIR, launcher: NO_WORKER, detectHardware: async () => CPU_ONLY_MACHINE, version: '1.2.3' });
}

describe('createServices', () => {
  it('replaces a corrupt database, keeps the backup and says where it is', async () => {
    const dataDir = join(scratch.dir, 'corrupt');
    await mkdir(dataDir);
    await writeFile(databaseFileIn(dataDir), 'this is not a database, just text long enough to be read'.repeat(100));
    const services = await open(dataDir);
    try {
      const notice = services.startupNotices.find((n) => /damaged/.test(n));
      assert.ok(notice, services.startupNotices.join('\n'));
      const backup = /kept as (\S+\.bak);/.exec(notice)?.[1];
      assert.ok(backup && existsSync(backup), `backup ${backup}`);
      const models = await services.handlers['models.list']({});
      assert.equal(models[0].bundled, true, 'the new database works and has the demo model');
    } finally {
      await services.close();
    }
  });

  it('marks answers left streaming as interrupted, and reports the status', async () => {
    const dataDir = join(scratch.dir, 'interrupted');
    const store = openStore(databaseFileIn(dataDir));
    const conversation = store.conversations.create({ title: 'Cut off' });
    store.messages.append({ conversationId: conversation.id, role: 'user', content: 'Hi' });
    store.messages.append({ conversationId: conversation.id, role: 'assistant', content: 'Half an ans', status: 'streaming' });
    store.close();

    const services = await open(dataDir);
    try {
      assert.ok(services.startupNotices.some((n) => /1 answer was cut off/.test(n)));
      const { messages } = await services.handlers['conversations.get']({ conversationId: conversation.id });
      assert.equal(messages[1].status, 'interrupted');
      assert.equal(messages[1].content, 'Half an ans');
      const status = await services.handlers['app.status']({});
      assert.equal(status.version, '1.2.3');
      assert.equal(status.dataDir, dataDir);
      assert.equal(status.worker.state, 'idle');
      assert.deepEqual(await services.handlers['hardware.get']({}), CPU_ONLY_MACHINE);
    } finally {
      await services.close();
    }
  });

  it('opens the store with the better-sqlite3 build it is given (the Electron app passes its own)', async () => {
    const dataDir = join(scratch.dir, 'native-binding');
    const missing = join(scratch.dir, 'no-such-build', 'better_sqlite3.node');
    const options = { dataDir, resourcesDir: RESOURCES_DIR, launcher: NO_WORKER, detectHardware: async () => CPU_ONLY_MACHINE };
    await assert.rejects(createServices({ ...options, sqliteNativeBinding: missing }), (error: Error) => error.message.includes(missing));
    const services = await createServices({ ...options, sqliteNativeBinding: NODE_SQLITE_BUILD });
    try {
      assert.equal((await services.handlers['models.list']({}))[0].bundled, true);
    } finally {
      await services.close();
    }
  });
});
