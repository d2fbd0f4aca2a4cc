// The one message of the WebGPU probe's process (webgpu-probe-main.ts): what the probe found,
// posted once. The main side validates it where it arrives (main/services/webgpu-probe-process.ts).
import { z } from 'zod';
import { WebGpuStatusSchema } from '../common/hardware-contract.ts';

export const WebGpuProbeReplySchema = z.object({ type: z.literal('webgpu-probe.result'), status: WebGpuStatusSchema });
export type WebGpuProbeReply = z.infer<typeof WebGpuProbeReplySchema>;
