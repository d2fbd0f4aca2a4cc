// The CPU: model, cores, and the instruction-set features onnxruntime's CPU kernels pick their
// fastest paths by (AVX2, AVX-512, VNNI for int8 dot products, AMX tiles; NEON and its dot-product
// extension on ARM). Linux lists them in /proc/cpuinfo; macOS in sysctl; Windows has no
// command-line source without WMI, so its feature list stays empty rather than guessed.
import type { CpuInfo } from '../common/hardware-contract.ts';
import { readOptionalFile } from './system-probe.ts';
import type { SystemProbe } from './system-probe.ts';

/**
 * Feature names as shown to users, keyed by the CPU flag lowercased without underscores, which
 * matches Linux's /proc/cpuinfo ("avx512_vnni") and macOS's sysctl ("AVX512VNNI") alike.
 */
export const CPU_FEATURES: ReadonlyArray<readonly [flag: string, feature: string]> = [
  ['avx2', 'AVX2'],
  ['fma', 'FMA'],
  ['f16c', 'F16C'],
  ['avx512f', 'AVX-512'],
  ['avx512vnni', 'AVX-512 VNNI'],
  ['avx512bf16', 'AVX-512 BF16'],
  ['avx512fp16', 'AVX-512 FP16'],
  ['avxvnni', 'AVX-VNNI'],
  ['amxtile', 'AMX'],
  ['amxint8', 'AMX-INT8'],
  ['amxbf16', 'AMX-BF16'],
  // ARM (Linux "Features" line).
  ['asimd', 'NEON'],
  ['asimddp', 'DOTPROD'],
  ['i8mm', 'I8MM'],
  ['sve', 'SVE'],
];

export const PROC_CPUINFO = '/proc/cpuinfo';

/** Users' names of the features among CPU flags (x86 "flags" or ARM "Features"), in CPU_FEATURES order. */
export function featuresFromFlags(flags: Iterable<string>): string[] {
  const normalized = new Set([...flags].map((f) => f.toLowerCase().replaceAll('_', '')));
  return CPU_FEATURES.filter(([flag]) => normalized.has(flag)).map(([, feature]) => feature);
}

export interface ProcCpuinfo {
  modelName: string | null;
  flags: string[];
  /** Distinct (physical id, core id) pairs; null when the file does not list them (ARM, most VMs do). */
  physicalCores: number | null;
}

export function parseProcCpuinfo(text: string): ProcCpuinfo {
  let modelName: string | null = null;
  let flags: string[] = [];
  const cores = new Set<string>();
  // Processors are blank-line separated blocks of "key : value" lines.
  for (const block of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    for (const line of block.split('\n')) {
      const colon = line.indexOf(':');
      if (colon > 0) fields.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    modelName ??= fields.get('model name') ?? null;
    const blockFlags = fields.get('flags') ?? fields.get('features');
    if (blockFlags !== undefined && flags.length === 0) flags = blockFlags.split(/\s+/).filter(Boolean);
    const physicalId = fields.get('physical id');
    const coreId = fields.get('core id');
    if (physicalId !== undefined && coreId !== undefined) cores.add(`${physicalId}:${coreId}`);
  }
  return { modelName, flags, physicalCores: cores.size > 0 ? cores.size : null };
}

async function sysctlValue(probe: SystemProbe, name: string): Promise<string | null> {
  const result = await probe.runCommand('sysctl', ['-n', name]);
  return result.kind === 'exited' && result.code === 0 ? result.stdout.trim() : null;
}

export async function detectCpu(probe: SystemProbe): Promise<CpuInfo> {
  const cpus = probe.cpus();
  let model = cpus[0]?.model.trim() || 'unknown CPU';
  let physicalCores: number | null = null;
  let features: string[] = [];
  if (probe.platform === 'linux') {
    const text = await readOptionalFile(probe, PROC_CPUINFO);
    if (text !== null) {
      const info = parseProcCpuinfo(text);
      model = info.modelName ?? model;
      physicalCores = info.physicalCores;
      features = featuresFromFlags(info.flags);
    }
  } else if (probe.platform === 'darwin') {
    const physical = Number(await sysctlValue(probe, 'hw.physicalcpu'));
    physicalCores = Number.isInteger(physical) && physical > 0 ? physical : null;
    if (probe.arch !== 'arm64') {
      const flags = [await sysctlValue(probe, 'machdep.cpu.features'), await sysctlValue(probe, 'machdep.cpu.leaf7_features')];
      features = featuresFromFlags(flags.join(' ').split(/\s+/).filter(Boolean));
    }
  }
  // Every arm64 CPU has NEON (Advanced SIMD is mandatory in ARMv8-A), whatever the OS lists.
  if (probe.arch === 'arm64' && !features.includes('NEON')) features = ['NEON', ...features];
  return { model, logicalCores: cpus.length, physicalCores, features };
}
