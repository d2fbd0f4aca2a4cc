// NVIDIA GPUs from nvidia-smi, which ships with the driver on Linux and Windows. Its CSV gives
// total and free VRAM per card in MiB. A missing nvidia-smi means "no NVIDIA driver", not an
// error; a nvidia-smi that fails (typically a driver/library version mismatch after an update)
// is reported word for word, because that is the case users otherwise never get to see.
import type { GpuInfo } from '../common/hardware-contract.ts';
import type { GpuSourceResult } from './gpu-source-result.ts';
import type { SystemProbe } from './system-probe.ts';

export const NVIDIA_SMI_ARGS = [
  '--query-gpu=index,name,memory.total,memory.free,driver_version,pci.bus_id',
  '--format=csv,noheader,nounits',
] as const;

const MIB = 1024 * 1024;
/** index, name, memory.total, memory.free, driver_version, pci.bus_id */
const FIELD_COUNT = 6;

/** A nvidia-smi line that does not have the fields asked for. */
export class NvidiaSmiParseError extends Error {
  override name = 'NvidiaSmiParseError';
}

/** A MiB count, or null for "[N/A]", "[Not Supported]" and anything else that is not a number. */
function mibToBytes(field: string): number | null {
  if (!/^\d+(\.\d+)?$/.test(field)) return null;
  return Number(field) * MIB;
}

function textOrNull(field: string): string | null {
  return field === '' || field.startsWith('[') ? null : field;
}

/** Parses the CSV of NVIDIA_SMI_ARGS: one line per GPU. */
export function parseNvidiaSmiCsv(stdout: string): GpuInfo[] {
  const gpus: GpuInfo[] = [];
  for (const line of stdout.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    const fields = line.split(',').map((f) => f.trim());
    if (fields.length < FIELD_COUNT) {
      throw new NvidiaSmiParseError(`nvidia-smi printed "${line.trim()}", which lacks the ${FIELD_COUNT} fields asked for (${NVIDIA_SMI_ARGS[0]})`);
    }
    // A product name may itself hold a comma: it is everything between the index and the last four fields.
    const [total, free, driver, busId] = fields.slice(-4);
    const name = fields.slice(1, fields.length - 4).join(', ');
    gpus.push({
      vendor: 'nvidia',
      name,
      vramTotalBytes: mibToBytes(total),
      vramFreeBytes: mibToBytes(free),
      driver: textOrNull(driver),
      unifiedMemory: false,
      usableBytes: null,
      source: 'nvidia-smi',
      busId: textOrNull(busId),
      note: null,
    });
  }
  return gpus;
}

export async function detectNvidiaGpus(probe: SystemProbe): Promise<GpuSourceResult> {
  const result = await probe.runCommand('nvidia-smi', NVIDIA_SMI_ARGS);
  if (result.kind === 'not-found') return { gpus: [], warnings: [], searched: 'nvidia-smi: not installed (no NVIDIA driver)' };
  if (result.kind === 'failed') {
    return { gpus: [], warnings: [`nvidia-smi failed: ${result.error}`], searched: 'nvidia-smi: failed to run' };
  }
  if (result.code !== 0) {
    const said = `${result.stdout}\n${result.stderr}`.trim() || '(no output)';
    return {
      gpus: [],
      warnings: [`nvidia-smi failed (exit code ${result.code}): ${said}`],
      searched: `nvidia-smi: failed with exit code ${result.code}`,
    };
  }
  try {
    const gpus = parseNvidiaSmiCsv(result.stdout);
    return { gpus, warnings: [], searched: `nvidia-smi: ${gpus.length} NVIDIA GPU${gpus.length === 1 ? '' : 's'}` };
  } catch (error) {
    return { gpus: [], warnings: [(error as Error).message], searched: 'nvidia-smi: output not understood' };
  }
}
