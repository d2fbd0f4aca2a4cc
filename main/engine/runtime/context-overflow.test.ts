// fitConversation with a stand-in template: every message renders as 10 tokens (its index in
// the conversation, repeated), the system prompt as 5 and the generation prompt as 2.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ChatMessage } from '../tokenizer/chat-template.ts';
import { ContextOverflowError, fitConversation } from './context-overflow.ts';
import type { FitRequest } from './context-overflow.ts';

const SYSTEM = [900, 900, 900, 900, 900];
const GENERATION_PROMPT = [901, 901];

function conversation(exchanges: number): ChatMessage[][] {
  const turns: ChatMessage[][] = [];
  for (let i = 0; i < exchanges; i++) turns.push([{ role: 'user', content: `${2 * i}` }, { role: 'assistant', content: `${2 * i + 1}` }]);
  turns.push([{ role: 'user', content: `${2 * exchanges}` }]);
  return turns;
}

function request(turns: ChatMessage[][], overrides: Partial<FitRequest>): FitRequest {
  return {
    policy: 'stop',
    turns,
    firstKeptTurn: 0,
    render: (kept) => [...SYSTEM, ...kept.flat().flatMap((m) => Array<number>(10).fill(Number(m.content))), ...GENERATION_PROMPT],
    systemIds: SYSTEM,
    contextLength: 100,
    reserve: 20,
    ...overrides,
  };
}

describe('fitConversation', () => {
  it('keeps everything when it fits', () => {
    const fitted = fitConversation(request(conversation(2), {})); // 5 + 50 + 2 = 57 <= 80
    assert.equal(fitted.ids.length, 57);
    assert.deepEqual([fitted.droppedTurns, fitted.droppedTokens], [0, 0]);
  });

  it('stop: throws naming the sizes', () => {
    // 5 + 90 + 2 = 97 > 100 - 20
    assert.throws(() => fitConversation(request(conversation(4), { policy: 'stop' })), (error: Error) => {
      assert.ok(error instanceof ContextOverflowError);
      assert.match(error.message, /needs 97 tokens plus 20 reserved for the reply, but the context holds 100 tokens/);
      return true;
    });
  });

  it('truncate-middle: drops the oldest exchanges, keeps the system prompt and the newest', () => {
    const fitted = fitConversation(request(conversation(4), { policy: 'truncate-middle' }));
    // Dropping exchange 0 (20 tokens) leaves 77 <= 80.
    assert.equal(fitted.droppedTurns, 1);
    assert.equal(fitted.droppedTokens, 20);
    assert.equal(fitted.firstKeptTurn, 1);
    assert.deepEqual(fitted.ids.slice(0, 5), SYSTEM);
    assert.equal(fitted.ids[5], 2, 'the prompt resumes at the second exchange');
    assert.equal(fitted.ids.at(-3), 8, 'the new message is last');
  });

  it('truncate-middle: never brings back an exchange it dropped before', () => {
    const fitted = fitConversation(request(conversation(2), { policy: 'truncate-middle', firstKeptTurn: 1 }));
    assert.equal(fitted.droppedTurns, 1);
    assert.equal(fitted.ids[5], 2);
  });

  it('truncate-middle: throws when even the new message alone does not fit', () => {
    assert.throws(() => fitConversation(request(conversation(1), { policy: 'truncate-middle', contextLength: 30 })), ContextOverflowError);
  });

  it('rolling-window: keeps the system prompt and the most recent tokens that fit', () => {
    const fitted = fitConversation(request(conversation(4), { policy: 'rolling-window' }));
    assert.equal(fitted.ids.length, 80);
    assert.equal(fitted.droppedTokens, 17);
    assert.deepEqual(fitted.ids.slice(0, 5), SYSTEM);
    assert.equal(fitted.ids[5], 1, 'cut inside the first reply');
    assert.deepEqual(fitted.ids.slice(-2), GENERATION_PROMPT);
    assert.equal(fitted.droppedTurns, 0, 'no exchange was dropped whole');
  });

  it('rolling-window: counts the exchanges dropped whole', () => {
    const fitted = fitConversation(request(conversation(6), { policy: 'rolling-window' }));
    // 5 + 130 + 2 = 137; 57 dropped: exchanges 0 and 1 (40 tokens) whole.
    assert.equal(fitted.droppedTokens, 57);
    assert.equal(fitted.droppedTurns, 2);
  });

  it('rolling-window: throws when the system prompt and the reply leave no room', () => {
    assert.throws(() => fitConversation(request(conversation(1), { policy: 'rolling-window', contextLength: 25 })), /system prompt takes 5 tokens/);
  });
});
