import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CONVERSATION_TITLE_LENGTH, DEFAULT_CONVERSATION_TITLE, conversationTitleFrom } from './conversation-title.ts';

test('a short first line is the title as it is, trimmed', () => {
  assert.equal(conversationTitleFrom('  Who art thou?  \nand the rest'), 'Who art thou?');
});

test('a long first line is cut to exactly the title length, ending in an ellipsis', () => {
  const title = conversationTitleFrom('a'.repeat(200));
  assert.equal(title.length, CONVERSATION_TITLE_LENGTH);
  assert.equal(title, `${'a'.repeat(CONVERSATION_TITLE_LENGTH - 1)}…`);
  // One character over the limit is cut; exactly the limit is kept whole.
  assert.equal(conversationTitleFrom('b'.repeat(CONVERSATION_TITLE_LENGTH)), 'b'.repeat(CONVERSATION_TITLE_LENGTH));
  assert.equal(conversationTitleFrom('b'.repeat(CONVERSATION_TITLE_LENGTH + 1)).length, CONVERSATION_TITLE_LENGTH);
});

test('the cut does not leave a space before the ellipsis', () => {
  const text = `${'word '.repeat(11)}${'x'.repeat(40)}`;
  const title = conversationTitleFrom(text);
  assert.ok(title.endsWith('…'));
  assert.doesNotMatch(title, / …$/);
});

test('a message with no text on its first line gets the default title', () => {
  assert.equal(conversationTitleFrom('   \n  '), DEFAULT_CONVERSATION_TITLE);
  assert.equal(conversationTitleFrom(''), DEFAULT_CONVERSATION_TITLE);
});
