import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CONTENT_SECURITY_POLICY } from '../common/content-security-policy.ts';

function directives(policy: string): Map<string, string[]> {
  return new Map(
    policy
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((parts) => parts[0])
      .map(([name, ...values]) => [name, values]),
  );
}

test('the policy allows only our own scripts: no inline scripts, no eval', () => {
  const policy = directives(CONTENT_SECURITY_POLICY);
  assert.deepEqual(policy.get('default-src'), ["'none'"]);
  assert.deepEqual(policy.get('script-src'), ["'self'"]);
  assert.deepEqual(policy.get('object-src'), ["'none'"]);
  assert.deepEqual(policy.get('base-uri'), ["'none'"]);
  assert.deepEqual(policy.get('frame-ancestors'), ["'none'"]);
  assert.doesNotMatch(CONTENT_SECURITY_POLICY, /unsafe-(inline|eval|hashes)|wasm-unsafe-eval|\*|http:|https:/);
});

test('the literal policy header in session-security.ts is the same policy', () => {
  // session-security.ts spells the policy out for Electronegativity; it must not drift.
  const source = readFileSync(new URL('./session-security.ts', import.meta.url), 'utf8');
  assert.ok(source.includes(`"${CONTENT_SECURITY_POLICY}"`), 'session-security.ts must set exactly CONTENT_SECURITY_POLICY');
});
