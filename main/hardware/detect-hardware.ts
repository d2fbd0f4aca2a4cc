// Hardware detection: asks every GPU source that applies to this OS, the CPU, the RAM and the
// WebGPU provider, all at once, and folds the answers into one HardwareSummary. Nothing here
// fails: a source that cannot answer adds a warning and a "searched" line, so the app can say why
// it found no GPU instead of quietly running on the CPU.
import { HardwareSummarySchema } from '../common/hardware-contract.ts';
import type { GpuInfo, HardwareSummary, WebGpuStatus } from '../common/hardware-contract.ts';
import { detectAppleGpu } from './apple-silicon.ts';
import { detectCpu } from './cpu-info.ts';
import type { GpuSourceResult } from './gpu-source-result.ts';
import { detectSysfsGpus } from './linux-sysfs-gpus.ts';
import { detectNvidiaGpus } from './nvidia-smi.ts';
import { nodeSystemProbe } from './system-probe.ts';
import type { SystemProbe } from './system-probe.ts';
import { detectWindowsGpus } from './windows-registry-gpus.ts';

/** What detection found; the same shape that crosses to the renderer and the precision planner. */
export type HardwareReport = HardwareSummary;

export interface DetectHardwareOptions {
  /** The OS boundary; the running machine when absent. */
  probe?: SystemProbe;
  /**
   * The WebGPU check. The app asks it in a process of its own (main/services/webgpu-probe-process.ts)
   * because a crashing GPU driver would take the asking process down; there is no in-process default.
   */
  probeWebGpu: () => Promise<WebGpuStatus>;
}

async function gpuSources(probe: SystemProbe): Promise<GpuSourceResult[]> {
  switch (probe.platform) {
    case 'linux':
      return Promise.all([detectNvidiaGpus(probe), detectSysfsGpus(probe)]);
    case 'win32':
      return Promise.all([detectNvidiaGpus(probe), detectWindowsGpus(probe)]);
    case 'darwin':
      return Promise.all([detectAppleGpu(probe)]);
    default:
      return Promise.all([detectNvidiaGpus(probe)]);
  }
}

/**
 * nvidia-smi knows NVIDIA cards best (free VRAM, exact totals). sysfs and the registry list the
 * same cards again, so theirs are kept only when nvidia-smi reported none: then they are the only
 * sign of an NVIDIA GPU whose driver tool is missing or broken.
 */
function mergeGpus(results: GpuSourceResult[]): GpuInfo[] {
  const all = results.flatMap((r) => r.gpus);
  const nvidiaSmiFound = all.some((g) => g.source === 'nvidia-smi');
  return all.filter((g) => g.vendor !== 'nvidia' || g.source === 'nvidia-smi' || !nvidiaSmiFound);
}

export async function detectHardware(options: DetectHardwareOptions): Promise<HardwareReport> {
  const probe = options.probe ?? nodeSystemProbe();
  const [sources, cpu, webgpu] = await Promise.all([gpuSources(probe), detectCpu(probe), options.probeWebGpu()]);
  return HardwareSummarySchema.parse({
    platform: probe.platform,
    arch: probe.arch,
    gpus: mergeGpus(sources),
    cpu,
    ramTotalBytes: probe.totalmem(),
    ramFreeBytes: probe.freemem(),
    webgpu,
    warnings: sources.flatMap((s) => s.warnings),
    searched: sources.map((s) => s.searched),
  });
}
