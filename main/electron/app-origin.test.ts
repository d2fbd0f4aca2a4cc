import { test } from 'node:test';
import assert from 'node:assert/strict';
import { APP_ENTRY_URL, isAppUrl, isExternalWebUrl } from './app-origin.ts';

test('the entry page is an app URL', () => {
  assert.equal(APP_ENTRY_URL, 'app://hearth/index.html');
  assert.equal(isAppUrl(APP_ENTRY_URL), true);
  assert.equal(isAppUrl('app://hearth/assets/index.js?x=1#y'), true);
});

test('look-alike and foreign URLs are not app URLs', () => {
  for (const url of [
    'app://hearth.evil.com/index.html',
    'app://evil/index.html',
    'app://user@hearth/index.html',
    'https://hearth/index.html',
    'file:///index.html',
    'app:hearth',
    'javascript:alert(1)',
    'not a url',
    '',
  ]) {
    assert.equal(isAppUrl(url), false, url);
  }
});

test('only http(s) links with a host go to the system browser', () => {
  assert.equal(isExternalWebUrl('https://huggingface.co/models'), true);
  assert.equal(isExternalWebUrl('http://example.com/'), true);
  for (const url of ['file:///etc/passwd', 'javascript:alert(1)', 'smb://host/share', 'app://hearth/', 'ms-settings:', 'https:', 'junk']) {
    assert.equal(isExternalWebUrl(url), false, url);
  }
});
