// AMD and Intel GPUs on Linux from sysfs (/sys/class/drm/cardN/device/…), which needs no vendor
// tool: amdgpu exposes mem_info_vram_total/used in bytes. Intel's i915 has no mem_info files, so
// an Intel GPU's VRAM is reported as unknown (integrated ones use shared system memory) rather
// than guessed. NVIDIA cards are listed too, without VRAM, for when nvidia-smi is missing or broken.
import type { GpuInfo, GpuVendor } from '../common/hardware-contract.ts';
import type { GpuSourceResult } from './gpu-source-result.ts';
import { readOptionalFile } from './system-probe.ts';
import type { SystemProbe } from './system-probe.ts';

export const DRM_CLASS_DIR = '/sys/class/drm';

/** PCI vendor ids of the GPU makers. Others (ASPEED server BMCs, virtio) are not compute GPUs. */
export const PCI_VENDORS: Record<string, GpuVendor> = { '0x1002': 'amd', '0x8086': 'intel', '0x10de': 'nvidia' };

const VENDOR_LABEL: Record<GpuVendor, string> = { amd: 'AMD', intel: 'Intel', nvidia: 'NVIDIA', apple: 'Apple', other: 'Other' };

function positiveBytes(text: string | null): number | null {
  if (text === null || !/^\d+$/.test(text.trim())) return null;
  return Number(text.trim());
}

/** DRIVER= and PCI_SLOT_NAME= from the device's uevent file. */
function ueventField(uevent: string | null, key: string): string | null {
  const match = uevent?.match(new RegExp(`^${key}=(.*)$`, 'm'));
  return match ? match[1].trim() : null;
}

function noteFor(vendor: GpuVendor, driver: string | null, vramKnown: boolean): string | null {
  if (vramKnown) return null;
  if (vendor === 'intel') {
    return `${driver ?? 'the Intel driver'} reports no VRAM size: an integrated Intel GPU uses shared system memory, so its usable memory is unknown`;
  }
  if (vendor === 'nvidia') return 'seen on the PCI bus; its VRAM is unknown without a working nvidia-smi';
  return `${driver ?? 'the driver'} exposes no mem_info_vram_total, so the VRAM is unknown`;
}

async function readCard(probe: SystemProbe, card: string): Promise<GpuInfo | { ignoredVendor: string } | null> {
  const device = `${DRM_CLASS_DIR}/${card}/device`;
  const vendorId = (await readOptionalFile(probe, `${device}/vendor`))?.trim().toLowerCase();
  if (vendorId === undefined) return null;
  const vendor = PCI_VENDORS[vendorId];
  if (vendor === undefined) return { ignoredVendor: vendorId };
  const [deviceId, total, used, productName, uevent] = await Promise.all([
    readOptionalFile(probe, `${device}/device`),
    readOptionalFile(probe, `${device}/mem_info_vram_total`),
    readOptionalFile(probe, `${device}/mem_info_vram_used`),
    readOptionalFile(probe, `${device}/product_name`),
    readOptionalFile(probe, `${device}/uevent`),
  ]);
  const vramTotalBytes = positiveBytes(total);
  const vramUsedBytes = positiveBytes(used);
  const driver = ueventField(uevent, 'DRIVER');
  const name = productName?.trim() || `${VENDOR_LABEL[vendor]} GPU ${deviceId?.trim() ?? '(unknown device id)'}`;
  return {
    vendor,
    name,
    vramTotalBytes,
    vramFreeBytes: vramTotalBytes !== null && vramUsedBytes !== null ? Math.max(0, vramTotalBytes - vramUsedBytes) : null,
    driver,
    unifiedMemory: false,
    usableBytes: null,
    source: 'sysfs',
    busId: ueventField(uevent, 'PCI_SLOT_NAME'),
    note: noteFor(vendor, driver, vramTotalBytes !== null),
  };
}

export async function detectSysfsGpus(probe: SystemProbe): Promise<GpuSourceResult> {
  let entries: string[];
  try {
    entries = await probe.readdir(DRM_CLASS_DIR);
  } catch {
    return { gpus: [], warnings: [], searched: `${DRM_CLASS_DIR}: absent (no display driver loaded)` };
  }
  // cardN is the device; cardN-DP-1 and renderDN are its connectors and render node.
  const cards = entries.filter((e) => /^card\d+$/.test(e)).sort((a, b) => Number(a.slice(4)) - Number(b.slice(4)));
  const found = await Promise.all(cards.map((card) => readCard(probe, card)));
  const gpus = found.filter((f): f is GpuInfo => f !== null && 'vendor' in f);
  const ignored = found.filter((f): f is { ignoredVendor: string } => f !== null && 'ignoredVendor' in f).map((f) => f.ignoredVendor);
  const what = gpus.length === 0 ? 'no AMD, Intel or NVIDIA card' : gpus.map((g) => g.name).join('; ');
  const skipped = ignored.length ? ` (ignored non-GPU display devices of PCI vendor ${ignored.join(', ')})` : '';
  return { gpus, warnings: [], searched: `${DRM_CLASS_DIR}: ${cards.length} card${cards.length === 1 ? '' : 's'}, ${what}${skipped}` };
}
