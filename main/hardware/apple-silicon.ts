// The GPU of an Apple silicon Mac. It shares one memory with the CPU, so its "VRAM" is the RAM,
// but Metal lets one process keep only part of it resident on the GPU
// (MTLDevice.recommendedMaxWorkingSetSize). That value needs Metal to read, which Node cannot
// reach, so it is estimated from the RAM size and the note says so.
import type { GpuInfo } from '../common/hardware-contract.ts';
import type { GpuSourceResult } from './gpu-source-result.ts';
import type { SystemProbe } from './system-probe.ts';

const GIB = 1024 ** 3;

/**
 * Assumed share of RAM that recommendedMaxWorkingSetSize allows: values reported for real Macs are
 * about 2/3 of RAM up to 36 GB (16 GB → ~10.7 GB, 32 GB → ~21.3 GB) and about 3/4 above
 * (64 GB → 48 GB, 128 GB → 96 GB).
 */
export const METAL_WORKING_SET_SMALL = 2 / 3;
export const METAL_WORKING_SET_LARGE = 3 / 4;
export const METAL_WORKING_SET_LARGE_FROM_BYTES = 36 * GIB;

export function metalWorkingSetBytes(ramTotalBytes: number): number {
  const share = ramTotalBytes > METAL_WORKING_SET_LARGE_FROM_BYTES ? METAL_WORKING_SET_LARGE : METAL_WORKING_SET_SMALL;
  return Math.floor(ramTotalBytes * share);
}

/** The chip's name from sysctl (e.g. "Apple M2"), or null when sysctl does not answer. */
async function chipName(probe: SystemProbe): Promise<string | null> {
  const result = await probe.runCommand('sysctl', ['-n', 'machdep.cpu.brand_string']);
  if (result.kind !== 'exited' || result.code !== 0) return null;
  return result.stdout.trim() || null;
}

export async function detectAppleGpu(probe: SystemProbe): Promise<GpuSourceResult> {
  if (probe.arch !== 'arm64') {
    return {
      gpus: [],
      warnings: ['GPU detection on Intel Macs is not implemented; Hearth plans for the CPU there'],
      searched: 'macOS on Intel: GPUs not searched',
    };
  }
  const chip = (await chipName(probe)) ?? probe.cpus()[0]?.model ?? 'Apple silicon';
  const ram = probe.totalmem();
  const usable = metalWorkingSetBytes(ram);
  const share = ram > METAL_WORKING_SET_LARGE_FROM_BYTES ? '3/4' : '2/3';
  const gpu: GpuInfo = {
    vendor: 'apple',
    name: `${chip} GPU`,
    vramTotalBytes: ram,
    vramFreeBytes: null,
    driver: null,
    unifiedMemory: true,
    usableBytes: usable,
    source: 'sysctl',
    busId: null,
    note: `unified memory: the GPU shares the ${(ram / GIB).toFixed(0)} GB of RAM; assumed usable on the GPU: ${share} of it `
      + `(${(usable / GIB).toFixed(1)} GB), as Metal's recommendedMaxWorkingSetSize allows on such Macs`,
  };
  return { gpus: [gpu], warnings: [], searched: `sysctl: ${chip} with unified memory` };
}
