// SharedBufferKvCache without a model: its buffers start small and grow in steps as tokens
// come, keeping every head's cached positions where the graph reads them; never past the context.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Tensor } from 'onnxruntime-node';
import { pastKeyName, pastValueName, presentKeyName } from '../graph-io.ts';
import { ContextFullError } from './kv-cache.ts';
import type { KvFeeds, KvFetches, KvLayout } from './kv-cache.ts';
import { GROWTH_STEP_TOKENS, SharedBufferKvCache } from './shared-buffer-kv-cache.ts';

const LAYOUT: KvLayout = { numLayers: 2, numKvHeads: 2, headDim: 4, dtype: 'float32' };
const NO_OUTPUTS = {} as never;

function pastOf(cache: SharedBufferKvCache): KvFeeds {
  const feeds: KvFeeds = {};
  cache.addPastFeeds(feeds);
  return feeds;
}

/** Writes what the graph would for positions [from, to): value = layer*1000 + kv*500 + head*100 + position + d/10. */
function writeTokens(cache: SharedBufferKvCache, from: number, to: number): void {
  const feeds = pastOf(cache);
  for (let layer = 0; layer < LAYOUT.numLayers; layer++) {
    for (const [kv, name] of [pastKeyName(layer), pastValueName(layer)].entries()) {
      const tensor = feeds[name];
      const slots = tensor.dims[2];
      const data = tensor.data as Float32Array;
      for (let head = 0; head < LAYOUT.numKvHeads; head++) {
        for (let position = from; position < to; position++) {
          for (let d = 0; d < LAYOUT.headDim; d++) data[(head * slots + position) * LAYOUT.headDim + d] = layer * 1000 + kv * 500 + head * 100 + position + d / 10;
        }
      }
    }
  }
  cache.commit(NO_OUTPUTS, to - from);
}

function assertHolds(cache: SharedBufferKvCache, tokens: number): void {
  const feeds = pastOf(cache);
  for (let layer = 0; layer < LAYOUT.numLayers; layer++) {
    for (const [kv, name] of [pastKeyName(layer), pastValueName(layer)].entries()) {
      const tensor: Tensor = feeds[name];
      const slots = tensor.dims[2];
      assert.deepEqual(tensor.dims, [1, LAYOUT.numKvHeads, cache.slots, LAYOUT.headDim]);
      const data = tensor.data as Float32Array;
      for (let head = 0; head < LAYOUT.numKvHeads; head++) {
        for (let position = 0; position < tokens; position++) {
          const at = (head * slots + position) * LAYOUT.headDim + 3;
          assert.equal(data[at], Math.fround(layer * 1000 + kv * 500 + head * 100 + position + 0.3), `${name} head ${head} position ${position}`);
        }
      }
    }
  }
}

describe('SharedBufferKvCache', () => {
  it('starts with one growth step of slots, not the whole context', () => {
    const cache = new SharedBufferKvCache(LAYOUT, 4096);
    assert.equal(cache.slots, GROWTH_STEP_TOKENS);
    assert.equal(cache.capacity, 4096);
    assert.equal(new SharedBufferKvCache(LAYOUT, 40).slots, 40);
  });

  it('grows in whole steps, keeping every head of every layer where the graph reads it', () => {
    const cache = new SharedBufferKvCache(LAYOUT, 1000);
    cache.reserve(100);
    writeTokens(cache, 0, 100);
    cache.reserve(101);
    assert.equal(cache.slots, GROWTH_STEP_TOKENS);
    writeTokens(cache, 100, 101);
    cache.reserve(300);
    assert.equal(cache.slots, 3 * GROWTH_STEP_TOKENS);
    assertHolds(cache, 101);
    writeTokens(cache, 101, 300);
    cache.reserve(1000);
    assert.equal(cache.slots, 1000, 'the last step stops at the capacity');
    assertHolds(cache, 300);
  });

  it('binds the same tensors as past and present, so the graph appends in place', () => {
    const cache = new SharedBufferKvCache(LAYOUT, 256);
    cache.reserve(200);
    const fetches: KvFetches = {};
    cache.addPresentFetches(fetches);
    assert.equal(fetches[presentKeyName(1)], pastOf(cache)[pastKeyName(1)]);
  });

  it('refuses room beyond its context, and a commit beyond its slots', () => {
    const cache = new SharedBufferKvCache(LAYOUT, 200);
    assert.throws(() => cache.reserve(201), ContextFullError);
    assert.throws(() => cache.commit(NO_OUTPUTS, GROWTH_STEP_TOKENS + 1), ContextFullError);
    assert.equal(cache.length, 0);
  });

  it('truncate keeps the slots and forgets the tokens after the cut', () => {
    const cache = new SharedBufferKvCache(LAYOUT, 512);
    cache.reserve(150);
    writeTokens(cache, 0, 150);
    assert.equal(cache.truncate(20), 20);
    assert.equal(cache.slots, 2 * GROWTH_STEP_TOKENS);
    assertHolds(cache, 20);
  });
});
