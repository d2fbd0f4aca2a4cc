#!/usr/bin/env node
// Bundles scripts/gpu-check.ts into .gpu-carry/gpu-check.cjs: the GPU machine has no npm
// packages besides onnxruntime-node (which .gpu-carry/setup.sh provides), so everything else
// travels inside the one file.
import { build } from 'esbuild';

await build({
  entryPoints: ['scripts/gpu-check.ts'],
  outfile: '.gpu-carry/gpu-check.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['onnxruntime-node'],
  logLevel: 'warning',
});
console.log('wrote .gpu-carry/gpu-check.cjs');
