// How `hearth bench` writes its figures: JSON numbers to one decimal, text with fixed digits, and
// the line that says whether other processes were using the CPUs while it measured.

export const MIB = 1024 * 1024;

/** One decimal, for the JSON line. */
export function round(value: number): number {
  return Math.round(value * 10) / 10;
}

export function fixed(value: number, digits = 1): string {
  return value.toFixed(digits);
}

export function signed(value: number): string {
  return `${value >= 0 ? '+' : ''}${value.toFixed(1)}`;
}

/** This process's peak resident memory so far, in MiB. */
export function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}

export function contentionLine(otherCpuPct: number | null): string {
  if (otherCpuPct === null) return '  other processes: CPU use unknown';
  const warning = otherCpuPct >= 10 ? ' (the machine was busy: figures are low)' : '';
  return `  other processes used ${fixed(otherCpuPct, 0)} % of the CPUs meanwhile${warning}`;
}
