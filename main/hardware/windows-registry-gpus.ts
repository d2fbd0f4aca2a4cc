// Display adapters on Windows from the registry's display class key, which every GPU driver fills
// in. VRAM comes from HardwareInformation.qwMemorySize (a 64-bit REG_QWORD). WMI's
// Win32_VideoController.AdapterRAM is a 32-bit field and caps at 4 GB, which is how other apps end
// up calling an 8 GB card a 4 GB one; its registry source, HardwareInformation.MemorySize, is read
// here only for old drivers that lack qwMemorySize, and the GPU's note says it may be capped.
import type { GpuInfo, GpuVendor } from '../common/hardware-contract.ts';
import type { GpuSourceResult } from './gpu-source-result.ts';
import type { SystemProbe } from './system-probe.ts';

/**
 * The display adapter device class. CurrentControlSet is the link to the control set Windows
 * booted with (usually ControlSet001), so it is right even when another set is active.
 */
export const DISPLAY_CLASS_KEY = 'HKLM\\SYSTEM\\CurrentControlSet\\Control\\Class\\{4d36e968-e325-11ce-bfc1-08002be10318}';

export const REGISTRY_VALUES = [
  'HardwareInformation.qwMemorySize',
  'HardwareInformation.MemorySize',
  'DriverDesc',
  'DriverVersion',
  'MatchingDeviceId',
] as const;
type RegistryValueName = (typeof REGISTRY_VALUES)[number];

export interface RegistryValue {
  type: string;
  data: string;
}

/** key path → value name → value, from the text of `reg query … /s [/v NAME]`. */
export type RegistryDump = Map<string, Map<string, RegistryValue>>;

export function parseRegQuery(stdout: string, into: RegistryDump = new Map()): RegistryDump {
  let key: string | null = null;
  for (const line of stdout.split(/\r?\n/)) {
    if (/^HKEY_/.test(line)) {
      key = line.trim();
      continue;
    }
    const value = line.match(/^\s+(.+?)\s+(REG_[A-Z_]+)(?:\s+(.*))?$/);
    if (key === null || value === null) continue;
    if (!into.has(key)) into.set(key, new Map());
    into.get(key)!.set(value[1], { type: value[2], data: (value[3] ?? '').trim() });
  }
  return into;
}

/** REG_QWORD/REG_DWORD are printed as 0x hex; REG_BINARY as little-endian hex bytes. */
export function registryNumber(value: RegistryValue | undefined): number | null {
  if (value === undefined) return null;
  if (value.type === 'REG_QWORD' || value.type === 'REG_DWORD') {
    return /^0x[0-9a-f]+$/i.test(value.data) ? Number(BigInt(value.data)) : null;
  }
  if (value.type === 'REG_BINARY' && /^([0-9a-f]{2})+$/i.test(value.data)) {
    const bytes = value.data.match(/../g)!.reverse().join('');
    return Number(BigInt(`0x${bytes}`));
  }
  return null;
}

const PCI_VENDOR_IDS: Record<string, GpuVendor> = { '10de': 'nvidia', '1002': 'amd', '8086': 'intel' };

function vendorOf(matchingDeviceId: string | undefined, name: string): GpuVendor {
  const id = matchingDeviceId?.toLowerCase().match(/ven_([0-9a-f]{4})/)?.[1];
  if (id !== undefined && PCI_VENDOR_IDS[id] !== undefined) return PCI_VENDOR_IDS[id];
  if (/nvidia|geforce|quadro|tesla/i.test(name)) return 'nvidia';
  if (/\bamd\b|radeon/i.test(name)) return 'amd';
  if (/intel/i.test(name)) return 'intel';
  return 'other';
}

/** The adapters in a registry dump: keys with a DriverDesc, of a GPU vendor or with a memory size. */
export function adaptersFromRegistry(dump: RegistryDump): GpuInfo[] {
  const gpus: GpuInfo[] = [];
  for (const [key, values] of [...dump].sort(([a], [b]) => a.localeCompare(b))) {
    const get = (name: RegistryValueName) => values.get(name);
    const name = get('DriverDesc')?.data;
    if (name === undefined) continue;
    const vendor = vendorOf(get('MatchingDeviceId')?.data, name);
    const qwMemory = registryNumber(get('HardwareInformation.qwMemorySize'));
    const legacyMemory = registryNumber(get('HardwareInformation.MemorySize'));
    if (vendor === 'other' && qwMemory === null && legacyMemory === null) continue; // e.g. Microsoft Basic Display Adapter
    const vramTotalBytes = qwMemory ?? legacyMemory;
    const note = qwMemory === null && legacyMemory !== null
      ? 'VRAM from HardwareInformation.MemorySize, a 32-bit value that caps at 4 GB: the card may have more'
      : vramTotalBytes === null ? 'the driver records no memory size in the registry' : null;
    gpus.push({
      vendor,
      name,
      vramTotalBytes,
      vramFreeBytes: null,
      driver: get('DriverVersion')?.data || null,
      unifiedMemory: false,
      usableBytes: null,
      source: 'windows-registry',
      busId: key.split('\\').pop() ?? null,
      note,
    });
  }
  return gpus;
}

export async function detectWindowsGpus(probe: SystemProbe): Promise<GpuSourceResult> {
  const dump: RegistryDump = new Map();
  const warnings: string[] = [];
  const results = await Promise.all(
    REGISTRY_VALUES.map((value) => probe.runCommand('reg', ['query', DISPLAY_CLASS_KEY, '/s', '/v', value])),
  );
  for (const [i, result] of results.entries()) {
    if (result.kind === 'not-found') {
      return { gpus: [], warnings: ['reg.exe was not found, so the registry could not be read for GPUs'], searched: 'registry: reg.exe missing' };
    }
    if (result.kind === 'failed') {
      warnings.push(`reg query ${REGISTRY_VALUES[i]}: ${result.error}`);
      continue;
    }
    // reg exits 1 both for "no such value" (fine: an old driver) and for denied subkeys next to good results.
    parseRegQuery(result.stdout, dump);
    if (result.code !== 0 && !/unable to find/i.test(result.stderr) && result.stdout.trim() === '') {
      warnings.push(`reg query ${REGISTRY_VALUES[i]} failed (exit code ${result.code}): ${result.stderr.trim()}`);
    }
  }
  const gpus = adaptersFromRegistry(dump);
  const what = gpus.length === 0 ? 'no display adapter with a GPU vendor' : gpus.map((g) => g.name).join('; ');
  return { gpus, warnings, searched: `registry display adapters: ${what}` };
}
