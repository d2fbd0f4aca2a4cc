import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { detectCpu, parseProcCpuinfo, featuresFromFlags } from './cpu-info.ts';
import { exited, recordedSystemProbe } from './recorded-system-probe.ts';

const testdata = fileURLToPath(new URL('./testdata/', import.meta.url));
const cpuinfo = (name: string) => readFileSync(`${testdata}cpuinfo/${name}`, 'utf8');

test('AMD EPYC (recorded on the CI VM): AVX2, AVX-512, AVX-512 VNNI, no AMX', () => {
  const info = parseProcCpuinfo(cpuinfo('amd-epyc-avx512-vnni.cpuinfo'));
  assert.equal(info.modelName, 'AMD EPYC');
  assert.equal(info.physicalCores, 2);
  const features = featuresFromFlags(info.flags);
  for (const f of ['AVX2', 'AVX-512', 'AVX-512 VNNI', 'AVX-512 BF16']) assert.ok(features.includes(f), `${f} in ${features}`);
  assert.ok(!features.includes('AMX'));
});

test('a consumer Core i7-8700: AVX2 only, 6 physical cores behind 12 threads', () => {
  const info = parseProcCpuinfo(cpuinfo('intel-i7-8700-avx2.cpuinfo'));
  assert.equal(info.modelName, 'Intel(R) Core(TM) i7-8700 CPU @ 3.20GHz');
  assert.equal(info.physicalCores, 6);
  assert.deepEqual(featuresFromFlags(info.flags), ['AVX2', 'FMA', 'F16C']);
});

test('a Sapphire Rapids Xeon: AMX and AVX-VNNI', () => {
  const features = featuresFromFlags(parseProcCpuinfo(cpuinfo('intel-xeon-sapphire-rapids-amx.cpuinfo')).flags);
  for (const f of ['AVX-512 VNNI', 'AVX-VNNI', 'AVX-512 FP16', 'AMX', 'AMX-INT8', 'AMX-BF16']) assert.ok(features.includes(f), `${f} in ${features}`);
});

test('arm64 Linux: NEON and DOTPROD from the Features line; no physical core ids listed', async () => {
  const cpu = await detectCpu(recordedSystemProbe({
    platform: 'linux',
    arch: 'arm64',
    logicalCores: 4,
    cpuModel: 'Neoverse-N1',
    files: { '/proc/cpuinfo': cpuinfo('arm64-neoverse-n1.cpuinfo') },
  }));
  assert.deepEqual(cpu, { model: 'Neoverse-N1', logicalCores: 4, physicalCores: null, features: ['NEON', 'DOTPROD'] });
});

test('Linux x64 reads model, physical cores and features from /proc/cpuinfo', async () => {
  const cpu = await detectCpu(recordedSystemProbe({
    platform: 'linux',
    arch: 'x64',
    logicalCores: 12,
    files: { '/proc/cpuinfo': cpuinfo('intel-i7-8700-avx2.cpuinfo') },
  }));
  assert.deepEqual(cpu, { model: 'Intel(R) Core(TM) i7-8700 CPU @ 3.20GHz', logicalCores: 12, physicalCores: 6, features: ['AVX2', 'FMA', 'F16C'] });
});

test('macOS on Apple silicon: physical cores from sysctl, NEON', async () => {
  const cpu = await detectCpu(recordedSystemProbe({
    platform: 'darwin',
    arch: 'arm64',
    cpuModel: 'Apple M2',
    logicalCores: 8,
    commands: { 'sysctl -n hw.physicalcpu': exited('8\n') },
  }));
  assert.deepEqual(cpu, { model: 'Apple M2', logicalCores: 8, physicalCores: 8, features: ['NEON'] });
});
