// What each GPU source (nvidia-smi, sysfs, the Windows registry, sysctl) hands back to
// detectHardware: the GPUs it found, what went wrong, and one line saying what it looked at.
import type { GpuInfo } from '../common/hardware-contract.ts';

export interface GpuSourceResult {
  gpus: GpuInfo[];
  /** Failures the user should see (e.g. nvidia-smi cannot talk to the driver), with the tool's own words. */
  warnings: string[];
  /** "nvidia-smi: not installed", "/sys/class/drm: 1 AMD card": why a GPU was or was not found. */
  searched: string;
}
