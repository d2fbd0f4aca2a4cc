import { test } from 'node:test';
import assert from 'node:assert/strict';
import { probeWebGpu } from './webgpu-probe.ts';

test('the WebGPU probe answers without throwing, and a failure carries onnxruntime\'s own message', async () => {
  const status = await probeWebGpu();
  if (status.available) {
    assert.equal(status.error, undefined);
    return;
  }
  // On a machine without a usable adapter (no GPU, or no Vulkan loader, as on the CI VMs), Dawn's
  // adapter request fails and that text must reach the user, not a generic "unavailable".
  assert.ok(status.error && status.error.length > 0, 'an error message');
  assert.match(status.error, /webgpu|adapter/i);
});
