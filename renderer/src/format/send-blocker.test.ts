import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canSend, sendBlocker } from './send-blocker.ts';

const ready = { text: 'Hello', modelId: 'm1', streaming: false, sending: false, buildingPrecision: null };

test('Send is possible with a model, some text, and nothing in flight', () => {
  assert.equal(canSend(ready), true);
  assert.equal(canSend({ ...ready, text: '  \n' }), false);
});

test('each blocker is explained', () => {
  assert.equal(sendBlocker({ ...ready, modelId: null }), 'Choose a model first.');
  assert.equal(sendBlocker({ ...ready, buildingPrecision: 'int8' }), 'Building the int8 variant…');
  assert.match(sendBlocker({ ...ready, streaming: true }) ?? '', /Stop/);
  assert.equal(canSend({ ...ready, streaming: true }), false);
});
