// The data directory used without --data-dir: $HEARTH_DATA_DIR, else the platform's place.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { defaultDataDir } from './default-data-dir.ts';

describe('defaultDataDir', () => {
  it('prefers $HEARTH_DATA_DIR, made absolute', () => {
    assert.equal(defaultDataDir({ HEARTH_DATA_DIR: '/srv/hearth' }, 'linux', '/home/a'), '/srv/hearth');
  });

  it('follows each platform\'s convention', () => {
    assert.equal(defaultDataDir({}, 'linux', '/home/a'), '/home/a/.local/share/hearth');
    assert.equal(defaultDataDir({ XDG_DATA_HOME: '/data' }, 'linux', '/home/a'), '/data/hearth');
    assert.equal(defaultDataDir({}, 'darwin', '/Users/a'), '/Users/a/Library/Application Support/Hearth');
    assert.match(defaultDataDir({ APPDATA: 'C:\\Users\\a\\AppData\\Roaming' }, 'win32', 'C:\\Users\\a'), /AppData.Roaming.Hearth$/);
  });
});
