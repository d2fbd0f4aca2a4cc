// The ReplyGate: replies with the variant in use share it at once, one with another variant waits
// until they have all ended (and is not overtaken by later ones with the busy variant), and an
// abort while waiting takes nothing.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ReplyGate, type ReplyVariant } from './reply-gate.ts';

const A: ReplyVariant = { modelId: 'm1', precision: 'int8', adapterId: null };
const A_INT4: ReplyVariant = { ...A, precision: 'int4' };
const B: ReplyVariant = { modelId: 'm2', precision: 'int8', adapterId: null };

/** Whether the promise has settled by the time queued microtasks have run. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

describe('ReplyGate', () => {
  it('lets replies with the same variant in at once', async () => {
    const gate = new ReplyGate();
    const one = await gate.acquire(A);
    const two = await gate.acquire({ ...A });
    assert.equal(gate.replies, 2);
    assert.deepEqual(gate.inUse, A);
    one();
    two();
    two(); // a second release changes nothing
    assert.equal(gate.replies, 0);
    assert.equal(gate.inUse, null);
  });

  it('makes another variant (model or precision) wait until every reply with the one in use has ended', async () => {
    const gate = new ReplyGate();
    const first = await gate.acquire(A);
    const second = await gate.acquire(A);
    const other = gate.acquire(A_INT4);
    assert.equal(await settled(other), false);
    first();
    assert.equal(await settled(other), false, 'one reply with the loaded variant still runs');
    second();
    const release = await other;
    assert.deepEqual(gate.inUse, A_INT4);
    release();
  });

  it('does not let later replies with the busy variant overtake one that waits for another', async () => {
    const gate = new ReplyGate();
    const first = await gate.acquire(A);
    const waiting = gate.acquire(B);
    const later = gate.acquire(A);
    first();
    const releaseB = await waiting;
    assert.equal(await settled(later), false, 'the later A waits for B');
    releaseB();
    (await later)();
  });

  it('admits every waiter with the same variant together', async () => {
    const gate = new ReplyGate();
    const first = await gate.acquire(A);
    const b1 = gate.acquire(B);
    const b2 = gate.acquire(B);
    first();
    const [r1, r2] = await Promise.all([b1, b2]);
    assert.equal(gate.replies, 2);
    r1();
    r2();
  });

  it('an abort while waiting rejects and takes nothing', async () => {
    const gate = new ReplyGate();
    const first = await gate.acquire(A);
    const controller = new AbortController();
    const waiting = gate.acquire(B, controller.signal);
    controller.abort(new Error('client left'));
    await assert.rejects(waiting, /client left/);
    first();
    assert.equal(gate.replies, 0);
    (await gate.acquire(A))();
  });
});
