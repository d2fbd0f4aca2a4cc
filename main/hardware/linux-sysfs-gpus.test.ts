import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { detectSysfsGpus } from './linux-sysfs-gpus.ts';
import { recordedSystemProbe } from './recorded-system-probe.ts';

const tree = (name: string) => recordedSystemProbe({ platform: 'linux', arch: 'x64', root: fileURLToPath(new URL(`./testdata/${name}`, import.meta.url)) });

test('AMD RX 6800: VRAM from mem_info_vram_total/used, a name from the device id when product_name is absent', async () => {
  const { gpus, warnings } = await detectSysfsGpus(tree('amd-rx6800'));
  assert.deepEqual(warnings, []);
  assert.equal(gpus.length, 1, 'card0-DP-1 and renderD128 are not GPUs');
  const [gpu] = gpus;
  assert.equal(gpu.vendor, 'amd');
  assert.equal(gpu.name, 'AMD GPU 0x73bf');
  assert.equal(gpu.vramTotalBytes, 17163091968);
  assert.equal(gpu.vramFreeBytes, 17163091968 - 1073741824);
  assert.equal(gpu.driver, 'amdgpu');
  assert.equal(gpu.busId, '0000:0b:00.0');
  assert.equal(gpu.note, null);
});

test('a server: the ASPEED BMC is ignored, the Instinct MI210 is named by product_name', async () => {
  const { gpus, searched } = await detectSysfsGpus(tree('amd-mi210-server'));
  assert.deepEqual(gpus.map((g) => [g.name, g.vramTotalBytes]), [['AMD Instinct MI210', 68702699520]]);
  assert.match(searched, /ignored .*0x1a03/);
});

test('Intel UHD 630 on i915: found, with VRAM honestly unknown', async () => {
  const [gpu, ...rest] = (await detectSysfsGpus(tree('intel-uhd630'))).gpus;
  assert.equal(rest.length, 0);
  assert.equal(gpu.vendor, 'intel');
  assert.equal(gpu.name, 'Intel GPU 0x9bc5');
  assert.equal(gpu.vramTotalBytes, null);
  assert.equal(gpu.vramFreeBytes, null);
  assert.equal(gpu.driver, 'i915');
  assert.match(gpu.note ?? '', /shared system memory/);
});

test('no /sys/class/drm: no GPUs, and the search line says so', async () => {
  const result = await detectSysfsGpus(recordedSystemProbe({ platform: 'linux', arch: 'x64' }));
  assert.deepEqual(result.gpus, []);
  assert.match(result.searched, /\/sys\/class\/drm: absent/);
});
