import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StopStringMatcher } from './stop-strings.ts';

test('a stop string split across pieces stops, emitting only the text before it', () => {
  const matcher = new StopStringMatcher(['\nUser:']);
  const emitted: string[] = [];
  let stopped = false;
  for (const piece of ['Good morrow', ', friend.\n', 'Us', 'er', ': more', ' text']) {
    const result = matcher.push(piece);
    emitted.push(result.text);
    if (result.stopped) {
      stopped = true;
      assert.equal(result.stopString, '\nUser:');
    }
  }
  assert.ok(stopped);
  assert.equal(emitted.join(''), 'Good morrow, friend.');
  assert.deepEqual(emitted.slice(0, 4), ['Good morrow', ', friend.', '', '']);
});

test('held text that turns out not to be a stop string is released', () => {
  const matcher = new StopStringMatcher(['</end>']);
  assert.deepEqual(matcher.push('a </e'), { text: 'a ', stopped: false, stopString: null });
  assert.deepEqual(matcher.push('nd'), { text: '', stopped: false, stopString: null });
  assert.deepEqual(matcher.push('x> b'), { text: '</endx> b', stopped: false, stopString: null });
  assert.equal(matcher.push('<').text, '');
  assert.equal(matcher.flush(), '<');
});

test('the earliest of several stop strings wins, within one piece', () => {
  const matcher = new StopStringMatcher(['STOP', 'END', '']);
  const result = matcher.push('one END two STOP');
  assert.deepEqual(result, { text: 'one ', stopped: true, stopString: 'END' });
  assert.deepEqual(matcher.push('more'), { text: '', stopped: true, stopString: 'END' });
  assert.ok(matcher.stopped);
});

test('without stop strings every piece passes straight through', () => {
  const matcher = new StopStringMatcher([]);
  assert.deepEqual(matcher.push('anything'), { text: 'anything', stopped: false, stopString: null });
  assert.equal(matcher.flush(), '');
});
