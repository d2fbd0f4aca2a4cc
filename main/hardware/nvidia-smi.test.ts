import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { detectNvidiaGpus, NVIDIA_SMI_ARGS, NvidiaSmiParseError, parseNvidiaSmiCsv } from './nvidia-smi.ts';
import { exited, recordedSystemProbe } from './recorded-system-probe.ts';
import type { CommandResult } from './system-probe.ts';

const MIB = 1024 * 1024;
const recorded = (name: string) => readFileSync(new URL(`./testdata/nvidia-smi/${name}`, import.meta.url), 'utf8');
const NVIDIA_SMI = ['nvidia-smi', ...NVIDIA_SMI_ARGS].join(' ');

function linuxWith(result: CommandResult) {
  return recordedSystemProbe({ platform: 'linux', arch: 'x64', commands: { [NVIDIA_SMI]: result } });
}

test('a single RTX 3090: 24576 MiB total, free memory, driver and bus id', () => {
  const [gpu, ...rest] = parseNvidiaSmiCsv(recorded('rtx3090.csv'));
  assert.equal(rest.length, 0);
  assert.equal(gpu.vendor, 'nvidia');
  assert.equal(gpu.name, 'NVIDIA GeForce RTX 3090');
  assert.equal(gpu.vramTotalBytes, 24576 * MIB);
  assert.equal(gpu.vramFreeBytes, 23889 * MIB);
  assert.equal(gpu.driver, '535.183.01');
  assert.equal(gpu.busId, '00000000:01:00.0');
  assert.equal(gpu.unifiedMemory, false);
});

test('two GPUs are two entries in index order', () => {
  const gpus = parseNvidiaSmiCsv(recorded('dual-4090-3060.csv'));
  assert.deepEqual(gpus.map((g) => [g.name, g.vramTotalBytes]), [
    ['NVIDIA GeForce RTX 4090', 24564 * MIB],
    ['NVIDIA GeForce RTX 3060', 12288 * MIB],
  ]);
});

test('"[N/A]" free memory is unknown (null), not 0 or NaN', () => {
  const [gpu] = parseNvidiaSmiCsv(recorded('a100-mig-free-na.csv'));
  assert.equal(gpu.vramTotalBytes, 40960 * MIB);
  assert.equal(gpu.vramFreeBytes, null);
});

test('a product name with a comma keeps it', () => {
  const [gpu] = parseNvidiaSmiCsv('0, Quadro RTX 8000, Max-Q, 49152, 48000, 470.1, 00000000:3B:00.0\n');
  assert.equal(gpu.name, 'Quadro RTX 8000, Max-Q');
  assert.equal(gpu.vramTotalBytes, 49152 * MIB);
});

test('a line without the fields asked for is a clear error', () => {
  assert.throws(() => parseNvidiaSmiCsv('No devices were found\n'), (e: Error) => e instanceof NvidiaSmiParseError && /No devices were found/.test(e.message));
});

test('nvidia-smi missing: no NVIDIA GPU and no warning', async () => {
  const result = await detectNvidiaGpus(recordedSystemProbe({ platform: 'linux', arch: 'x64' }));
  assert.deepEqual(result.gpus, []);
  assert.deepEqual(result.warnings, []);
  assert.match(result.searched, /nvidia-smi: not installed/);
});

test('nvidia-smi that cannot talk to the driver: a warning with its own words', async () => {
  const result = await detectNvidiaGpus(linuxWith(exited(recorded('driver-failure.txt'), 9)));
  assert.deepEqual(result.gpus, []);
  assert.equal(result.warnings.length, 1);
  assert.match(result.warnings[0], /exit code 9/);
  assert.ok(result.warnings[0].includes("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver"), result.warnings[0]);
});

test('detectNvidiaGpus runs exactly the documented query', async () => {
  const probe = linuxWith(exited(recorded('rtx3090.csv')));
  const result = await detectNvidiaGpus(probe);
  assert.deepEqual(probe.commandsRun, [NVIDIA_SMI]);
  assert.equal(result.gpus.length, 1);
  assert.match(result.searched, /1 NVIDIA GPU$/);
});
