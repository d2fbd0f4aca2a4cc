// The open conversation survives a restart of the services (the same data folder opened again),
// is forgotten when that conversation is deleted, and an unknown id is refused by name.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApiError } from '../common/contracts/api-error.ts';
import { createServices, type Services } from './create-services.ts';
import { CPU_ONLY_MACHINE, NO_WORKER, RESOURCES_DIR } from './services-test-support.ts';

let dataDir: string;
before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'hearth-open-conversation-'));
});
after(() => rm(dataDir, { recursive: true, force: true }));

const start = (): Promise<Services> => createServices({ dataDir, resourcesDir: RESOURCES_DIR, launcher: NO_WORKER, detectHardware: async () => CPU_ONLY_MACHINE });

describe('the open conversation', () => {
  it('is none at first, is kept across a restart, and is forgotten once deleted', async () => {
    let services = await start();
    let openId: string;
    try {
      assert.deepEqual(await services.handlers['app.openConversation']({}), { conversationId: null });
      await services.handlers['conversations.create']({ title: 'First' });
      openId = (await services.handlers['conversations.create']({ title: 'Second' })).id;
      await services.handlers['app.setOpenConversation']({ conversationId: openId });
    } finally {
      await services.close();
    }

    services = await start();
    try {
      assert.deepEqual(await services.handlers['app.openConversation']({}), { conversationId: openId }, 'the restarted app reopens it');
      await services.handlers['conversations.delete']({ conversationId: openId });
      assert.deepEqual(await services.handlers['app.openConversation']({}), { conversationId: null }, 'a deleted conversation is not reopened');
      await services.handlers['app.setOpenConversation']({ conversationId: null });
      assert.deepEqual(await services.handlers['app.openConversation']({}), { conversationId: null });
    } finally {
      await services.close();
    }
  });

  it('refuses an id no conversation has, naming it, and keeps what was stored', async () => {
    const services = await start();
    try {
      const kept = (await services.handlers['conversations.create']({ title: 'Kept' })).id;
      await services.handlers['app.setOpenConversation']({ conversationId: kept });
      await assert.rejects(
        services.handlers['app.setOpenConversation']({ conversationId: 'no-such-id' }),
        (error: ApiError) => error.code === 'not-found' && error.message.includes('no-such-id'),
      );
      assert.deepEqual(await services.handlers['app.openConversation']({}), { conversationId: kept });
    } finally {
      await services.close();
    }
  });
});
