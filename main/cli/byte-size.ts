// Memory sizes as people write and read them: "8GiB", "8GB", "512MiB" or plain bytes in, and
// "7.45 GiB" out.
import { UsageError } from './command.ts';

const UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

/** Bytes from "8GiB", "8 GB", "1.5GiB", "512MiB" or "1073741824"; a UsageError naming `option` otherwise. */
export function parseByteSize(option: string, text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const factor = match ? UNITS[(match[2] || 'b').toLowerCase()] : undefined;
  if (!match || factor === undefined) {
    throw new UsageError(`${option}: '${text}' is not a size; write e.g. 8GiB, 8GB, 512MiB or a number of bytes`);
  }
  const bytes = Math.round(Number(match[1]) * factor);
  if (bytes <= 0) throw new UsageError(`${option} must be more than zero bytes, not '${text}'`);
  return bytes;
}

/** "7.45 GiB", "12.3 MiB", "512 B": binary units, three significant digits or so. */
export function formatBytes(bytes: number): string {
  const units: [string, number][] = [
    ['TiB', 2 ** 40],
    ['GiB', 2 ** 30],
    ['MiB', 2 ** 20],
    ['KiB', 2 ** 10],
  ];
  for (const [unit, size] of units) {
    if (bytes >= size) {
      const value = bytes / size;
      return `${value.toFixed(value >= 100 ? 0 : value >= 10 ? 1 : 2)} ${unit}`;
    }
  }
  return `${Math.round(bytes)} B`;
}
