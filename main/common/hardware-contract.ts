// What the main process found out about the machine: GPUs and their memory, the CPU, RAM, and
// whether onnxruntime's WebGPU provider starts. A zod schema because the summary crosses to the
// renderer (which shows it) and to the precision planner. Every field that could not be read is
// null, never a guess, so the UI can say "unknown" instead of a wrong number.
import { z } from 'zod';

export const GpuVendorSchema = z.enum(['nvidia', 'amd', 'intel', 'apple', 'other']);
export type GpuVendor = z.infer<typeof GpuVendorSchema>;

/** Where a GPU's facts came from, so a wrong number can be traced to the tool that said it. */
export const GpuSourceSchema = z.enum(['nvidia-smi', 'sysfs', 'windows-registry', 'sysctl']);
export type GpuSource = z.infer<typeof GpuSourceSchema>;

const bytes = z.number().nonnegative();

export const GpuInfoSchema = z.object({
  vendor: GpuVendorSchema,
  name: z.string(),
  /** Dedicated VRAM; for unified memory, the whole shared RAM. Null when the driver does not say. */
  vramTotalBytes: bytes.nullable(),
  /** VRAM free right now; null when the source does not report it. */
  vramFreeBytes: bytes.nullable(),
  driver: z.string().nullable(),
  /** GPU and CPU share one memory (Apple silicon). */
  unifiedMemory: z.boolean(),
  /**
   * For unified memory: how much of it one process may place on the GPU (Metal's
   * recommendedMaxWorkingSetSize, estimated; see `note`). Null for discrete GPUs.
   */
  usableBytes: bytes.nullable(),
  source: GpuSourceSchema,
  /** PCI bus id or registry key: tells two identical cards apart. */
  busId: z.string().nullable(),
  /** Anything the user should know about these numbers (an assumption, why VRAM is unknown). */
  note: z.string().nullable(),
});
export type GpuInfo = z.infer<typeof GpuInfoSchema>;

export const CpuInfoSchema = z.object({
  model: z.string(),
  logicalCores: z.number().int().nonnegative(),
  /** Null where the OS does not say without extra tools. */
  physicalCores: z.number().int().positive().nullable(),
  /** Instruction-set features that matter to the CPU kernels: 'AVX2', 'AVX-512', 'AVX-512 VNNI', 'AVX-VNNI', 'AMX', 'NEON', … */
  features: z.array(z.string()),
});
export type CpuInfo = z.infer<typeof CpuInfoSchema>;

export const WebGpuStatusSchema = z.object({
  available: z.boolean(),
  /** onnxruntime's own message when the provider did not start, word for word. */
  error: z.string().optional(),
});
export type WebGpuStatus = z.infer<typeof WebGpuStatusSchema>;

export const HardwareSummarySchema = z.object({
  /** Node's process.platform and process.arch. */
  platform: z.string(),
  arch: z.string(),
  gpus: z.array(GpuInfoSchema),
  cpu: CpuInfoSchema,
  ramTotalBytes: bytes,
  /** RAM available to a new process now (Linux: MemAvailable). */
  ramFreeBytes: bytes,
  webgpu: WebGpuStatusSchema,
  /** Things that went wrong while looking (a failing nvidia-smi, an unreadable registry). */
  warnings: z.array(z.string()),
  /** One line per place searched for GPUs and what it gave, so "no GPU found" can say where it looked. */
  searched: z.array(z.string()),
});
export type HardwareSummary = z.infer<typeof HardwareSummarySchema>;
