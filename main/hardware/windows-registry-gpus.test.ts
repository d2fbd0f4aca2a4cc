import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { exited, recordedSystemProbe } from './recorded-system-probe.ts';
import type { CommandResult } from './system-probe.ts';
import { detectWindowsGpus, DISPLAY_CLASS_KEY, REGISTRY_VALUES, registryNumber } from './windows-registry-gpus.ts';

const GIB = 1024 ** 3;
const recorded = (name: string) => readFileSync(new URL(`./testdata/windows-registry/${name}`, import.meta.url), 'utf8');

/** The recorded `reg query … /s /v NAME` of a desktop with an RTX 3070 (8 GB) and an Intel UHD 770. */
function desktopRegistry(): Record<string, CommandResult> {
  return Object.fromEntries(REGISTRY_VALUES.map((value) => [
    `reg query ${DISPLAY_CLASS_KEY} /s /v ${value}`,
    exited(recorded(`${value.replace('HardwareInformation.', '')}.txt`)),
  ]));
}

test('an 8 GB RTX 3070 is 8 GB (qwMemorySize), not the 4 GB that AdapterRAM/MemorySize says', async () => {
  const { gpus, warnings } = await detectWindowsGpus(recordedSystemProbe({ platform: 'win32', arch: 'x64', commands: desktopRegistry() }));
  assert.deepEqual(warnings, []);
  const rtx = gpus.find((g) => g.name === 'NVIDIA GeForce RTX 3070');
  assert.ok(rtx, `found: ${gpus.map((g) => g.name).join(', ')}`);
  assert.equal(rtx.vendor, 'nvidia');
  assert.equal(rtx.vramTotalBytes, 8 * GIB);
  assert.equal(rtx.driver, '31.0.15.3623');
  assert.equal(rtx.note, null);
  // The capped value the same registry holds, which WMI's AdapterRAM reports: 4293918720.
  assert.equal(registryNumber({ type: 'REG_BINARY', data: '0000F0FF' }), 4293918720);
});

test('the Intel iGPU is listed with its own memory; a virtual display adapter is not', async () => {
  const { gpus } = await detectWindowsGpus(recordedSystemProbe({ platform: 'win32', arch: 'x64', commands: desktopRegistry() }));
  assert.deepEqual(gpus.map((g) => [g.vendor, g.name, g.vramTotalBytes]), [
    ['nvidia', 'NVIDIA GeForce RTX 3070', 8 * GIB],
    ['intel', 'Intel(R) UHD Graphics 770', 128 * 1024 * 1024],
  ]);
});

test('an old driver without qwMemorySize falls back to MemorySize and says it may be capped', async () => {
  const commands = desktopRegistry();
  commands[`reg query ${DISPLAY_CLASS_KEY} /s /v HardwareInformation.qwMemorySize`] = exited(
    '\r\nERROR: The system was unable to find the specified registry key or value.\r\n', 1);
  const { gpus, warnings } = await detectWindowsGpus(recordedSystemProbe({ platform: 'win32', arch: 'x64', commands }));
  assert.deepEqual(warnings, []);
  const rtx = gpus.find((g) => g.vendor === 'nvidia')!;
  assert.equal(rtx.vramTotalBytes, 4293918720);
  assert.match(rtx.note ?? '', /caps at 4 GB/);
});

test('REG_QWORD and REG_DWORD hex, REG_BINARY little-endian', () => {
  assert.equal(registryNumber({ type: 'REG_QWORD', data: '0x200000000' }), 8 * GIB);
  assert.equal(registryNumber({ type: 'REG_DWORD', data: '0x8000000' }), 128 * 1024 * 1024);
  assert.equal(registryNumber({ type: 'REG_BINARY', data: '00000080' }), 2 * GIB);
  assert.equal(registryNumber({ type: 'REG_SZ', data: '8 GB' }), null);
});
