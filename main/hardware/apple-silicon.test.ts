import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { detectAppleGpu, metalWorkingSetBytes } from './apple-silicon.ts';
import { exited, recordedSystemProbe } from './recorded-system-probe.ts';

const GIB = 1024 ** 3;
const recorded = (name: string) => readFileSync(new URL(`./testdata/apple-m2/${name}`, import.meta.url), 'utf8');

test('an M2 with 24 GB: unified memory, chip name from sysctl, 2/3 of RAM usable on the GPU', async () => {
  const probe = recordedSystemProbe({
    platform: 'darwin',
    arch: 'arm64',
    totalmem: 24 * GIB,
    commands: { 'sysctl -n machdep.cpu.brand_string': exited(recorded('sysctl-machdep.cpu.brand_string.txt')) },
  });
  const { gpus, warnings } = await detectAppleGpu(probe);
  assert.deepEqual(warnings, []);
  assert.equal(gpus.length, 1);
  const [gpu] = gpus;
  assert.equal(gpu.vendor, 'apple');
  assert.equal(gpu.name, 'Apple M2 GPU');
  assert.equal(gpu.unifiedMemory, true);
  assert.equal(gpu.vramTotalBytes, 24 * GIB);
  assert.equal(gpu.usableBytes, 16 * GIB);
  assert.match(gpu.note ?? '', /assumed usable on the GPU: 2\/3.*recommendedMaxWorkingSetSize/);
});

test('the working-set share is 3/4 above 36 GB', () => {
  assert.equal(metalWorkingSetBytes(64 * GIB), 48 * GIB);
  assert.equal(metalWorkingSetBytes(128 * GIB), 96 * GIB);
  assert.equal(metalWorkingSetBytes(36 * GIB), 24 * GIB);
});

test('an Intel Mac: no GPU claimed, and a warning says why', async () => {
  const result = await detectAppleGpu(recordedSystemProbe({ platform: 'darwin', arch: 'x64' }));
  assert.deepEqual(result.gpus, []);
  assert.match(result.warnings[0], /Intel Macs is not implemented/);
});
