import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { contentTypeFor, rendererFileFor } from './renderer-files.ts';

const root = resolve('/opt/hearth/app/renderer');

test('maps app://hearth/ paths onto files of the renderer folder', () => {
  assert.equal(rendererFileFor('app://hearth/', root), join(root, 'index.html'));
  assert.equal(rendererFileFor('app://hearth/index.html', root), join(root, 'index.html'));
  assert.equal(rendererFileFor('app://hearth/assets/index-abc.js?v=1', root), join(root, 'assets', 'index-abc.js'));
  assert.equal(rendererFileFor('app://hearth/assets/a%20b.css', root), join(root, 'assets', 'a b.css'));
});

test('dot segments are resolved by the URL parser and stay inside the folder', () => {
  assert.equal(rendererFileFor('app://hearth/../../main.js', root), join(root, 'main.js'));
  assert.equal(rendererFileFor('app://hearth/%2e%2e/main.js', root), join(root, 'main.js'));
});

test('refuses paths that leave the renderer folder or are not ours', () => {
  for (const url of [
    'app://hearth/%2e%2e%2fmain.js',
    'app://hearth/assets/%2e%2e%2f%2e%2e%2fmain.js',
    'app://hearth/..%5cmain.js',
    'app://hearth/index.html%00.png',
    'app://hearth/%E0%A4%A',
    'app://other/index.html',
    'file:///opt/hearth/app/renderer/index.html',
  ]) {
    assert.equal(rendererFileFor(url, root), null, url);
  }
});

test('serves scripts with a JavaScript type so ES modules run', () => {
  assert.equal(contentTypeFor('/x/index-abc.js'), 'text/javascript; charset=utf-8');
  assert.equal(contentTypeFor('/x/index.html'), 'text/html; charset=utf-8');
  assert.equal(contentTypeFor('/x/style.CSS'), 'text/css; charset=utf-8');
  assert.equal(contentTypeFor('/x/blob'), 'application/octet-stream');
});
