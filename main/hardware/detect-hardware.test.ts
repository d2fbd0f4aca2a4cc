import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { HardwareSummarySchema } from '../common/hardware-contract.ts';
import { detectHardware } from './detect-hardware.ts';
import { NVIDIA_SMI_ARGS } from './nvidia-smi.ts';
import { exited, recordedSystemProbe } from './recorded-system-probe.ts';
import type { RecordedMachine } from './recorded-system-probe.ts';
import { DISPLAY_CLASS_KEY, REGISTRY_VALUES } from './windows-registry-gpus.ts';
import { probeWebGpu } from './webgpu-probe.ts';

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;
const testdata = fileURLToPath(new URL('./testdata/', import.meta.url));
const recorded = (path: string) => readFileSync(`${testdata}${path}`, 'utf8');
const NVIDIA_SMI = ['nvidia-smi', ...NVIDIA_SMI_ARGS].join(' ');
const webgpuFails = async () => ({ available: false, error: 'Failed to get a WebGPU adapter: No supported adapters' });

function detect(machine: RecordedMachine) {
  return detectHardware({ probe: recordedSystemProbe(machine), probeWebGpu: webgpuFails });
}

test('a Linux desktop with an RTX 3090: the GPU, the CPU, RAM and the WebGPU error in one report', async () => {
  const report = await detect({
    platform: 'linux',
    arch: 'x64',
    commands: { [NVIDIA_SMI]: exited(recorded('nvidia-smi/rtx3090.csv')) },
    files: { '/proc/cpuinfo': recorded('cpuinfo/intel-i7-8700-avx2.cpuinfo') },
    logicalCores: 12,
    totalmem: 32 * GIB,
    freemem: 24 * GIB,
  });
  assert.deepEqual(report.gpus.map((g) => [g.name, g.vramTotalBytes]), [['NVIDIA GeForce RTX 3090', 24576 * MIB]]);
  assert.equal(report.cpu.physicalCores, 6);
  assert.deepEqual(report.cpu.features, ['AVX2', 'FMA', 'F16C']);
  assert.equal(report.ramTotalBytes, 32 * GIB);
  assert.equal(report.ramFreeBytes, 24 * GIB);
  assert.deepEqual(report.webgpu, { available: false, error: 'Failed to get a WebGPU adapter: No supported adapters' });
  assert.equal(report.searched.length, 2, 'nvidia-smi and sysfs');
});

test('nvidia-smi fails on a driver mismatch: the card seen in sysfs is reported, with the failure as a warning', async () => {
  const report = await detect({
    platform: 'linux',
    arch: 'x64',
    root: `${testdata}nvidia-driver-mismatch`,
    commands: { [NVIDIA_SMI]: exited(recorded('nvidia-smi/driver-failure.txt'), 9) },
  });
  assert.equal(report.gpus.length, 1);
  assert.equal(report.gpus[0].vendor, 'nvidia');
  assert.equal(report.gpus[0].vramTotalBytes, null);
  assert.match(report.gpus[0].note ?? '', /without a working nvidia-smi/);
  assert.ok(report.warnings.some((w) => w.includes("couldn't communicate with the NVIDIA driver")), report.warnings.join('\n'));
});

test('when nvidia-smi works, the same card in sysfs is not listed twice', async () => {
  const report = await detect({
    platform: 'linux',
    arch: 'x64',
    root: `${testdata}nvidia-driver-mismatch`,
    commands: { [NVIDIA_SMI]: exited(recorded('nvidia-smi/rtx3090.csv')) },
  });
  assert.deepEqual(report.gpus.map((g) => g.source), ['nvidia-smi']);
});

test('Windows: NVIDIA from nvidia-smi (with free VRAM), the Intel iGPU from the registry', async () => {
  const commands = Object.fromEntries(REGISTRY_VALUES.map((value) => [
    `reg query ${DISPLAY_CLASS_KEY} /s /v ${value}`,
    exited(recorded(`windows-registry/${value.replace('HardwareInformation.', '')}.txt`)),
  ]));
  commands[NVIDIA_SMI] = exited('0, NVIDIA GeForce RTX 3070, 8192, 7400, 536.23, 00000000:01:00.0\r\n');
  const report = await detect({ platform: 'win32', arch: 'x64', commands });
  assert.deepEqual(report.gpus.map((g) => [g.source, g.name, g.vramTotalBytes]), [
    ['nvidia-smi', 'NVIDIA GeForce RTX 3070', 8 * GIB],
    ['windows-registry', 'Intel(R) UHD Graphics 770', 128 * MIB],
  ]);
  assert.equal(report.gpus[0].vramFreeBytes, 7400 * MIB);
});

test('an Apple M2: one unified-memory GPU and NEON', async () => {
  const report = await detect({
    platform: 'darwin',
    arch: 'arm64',
    totalmem: 16 * GIB,
    commands: {
      'sysctl -n machdep.cpu.brand_string': exited(recorded('apple-m2/sysctl-machdep.cpu.brand_string.txt')),
      'sysctl -n hw.physicalcpu': exited(recorded('apple-m2/sysctl-hw.physicalcpu.txt')),
    },
  });
  assert.equal(report.gpus.length, 1);
  assert.equal(report.gpus[0].unifiedMemory, true);
  assert.equal(report.gpus[0].name, 'Apple M2 GPU');
  assert.ok(report.cpu.features.includes('NEON'));
  assert.equal(report.cpu.physicalCores, 8);
});

test('the real probe on this machine: does not throw, matches the contract, and says why when no GPU is found', async (t) => {
  // In-process here; the app runs this probe in a process of its own (main/services/webgpu-probe-process.test.ts).
  const report = await detectHardware({ probeWebGpu: () => probeWebGpu() });
  HardwareSummarySchema.parse(report);
  assert.ok(report.cpu.logicalCores > 0);
  assert.ok(report.ramTotalBytes > 0);
  if (report.gpus.length === 0) {
    assert.ok(report.searched.length > 0, 'where it looked');
    for (const line of report.searched) assert.match(line, /\S+: \S/);
  }
  if (!report.webgpu.available) assert.ok(report.webgpu.error, 'the WebGPU failure has its message');
  t.diagnostic(`real probe: ${report.gpus.length} GPU(s); searched: ${report.searched.join(' | ')}; webgpu: ${report.webgpu.available ? 'available' : report.webgpu.error}`);
});
