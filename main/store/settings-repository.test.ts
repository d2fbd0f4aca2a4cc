import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { SettingsRepository } from './settings-repository.ts';
import { StoreError } from './store-error.ts';
import { openTestDatabase } from './store-test-support.ts';

const Window = z.object({ width: z.number().int().positive(), height: z.number().int().positive(), maximized: z.boolean().default(false) });

test('settings are read and written through the schema the caller passes', (t) => {
  const settings = new SettingsRepository(openTestDatabase(t));
  assert.equal(settings.get('window', Window), undefined);
  assert.deepEqual(settings.getOr('window', Window, { width: 800, height: 600, maximized: false }), { width: 800, height: 600, maximized: false });

  const stored = settings.set('window', Window, { width: 1024, height: 768, maximized: false });
  assert.deepEqual(stored, { width: 1024, height: 768, maximized: false });
  assert.deepEqual(settings.get('window', Window), { width: 1024, height: 768, maximized: false });
  settings.set('theme', z.enum(['light', 'dark']), 'dark');
  assert.equal(settings.get('theme', z.enum(['light', 'dark'])), 'dark');

  assert.throws(() => settings.set('window', Window, { width: -1, height: 1, maximized: false }));
  assert.equal(settings.get('window', Window)?.width, 1024, 'a rejected value is not written');

  assert.equal(settings.delete('theme'), true);
  assert.equal(settings.get('theme', z.string()), undefined);
});

test('a stored value the schema rejects is a clear invalid-setting error', (t) => {
  const settings = new SettingsRepository(openTestDatabase(t));
  settings.set('window', z.unknown(), { width: 'wide' });
  assert.throws(
    () => settings.get('window', Window),
    (error) => error instanceof StoreError && error.kind === 'invalid-setting' && /'window'/.test(error.message),
  );
});
