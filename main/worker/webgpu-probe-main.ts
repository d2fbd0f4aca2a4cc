// Entry of the WebGPU probe's process (a forked Node child in the web shell and the CLI, an
// Electron utilityProcess in the app; see parent-channel.ts). It loads onnxruntime and Dawn, asks
// for a WebGPU session (main/hardware/webgpu-probe.ts), posts what it found and waits to be ended:
// a driver that crashes or hangs here takes down this process only.
import { probeWebGpu } from '../hardware/webgpu-probe.ts';
import { parentChannel } from './parent-channel.ts';
import type { WebGpuProbeReply } from './webgpu-probe-protocol.ts';

const channel = parentChannel<WebGpuProbeReply>();
channel.post({ type: 'webgpu-probe.result', status: await probeWebGpu() });
