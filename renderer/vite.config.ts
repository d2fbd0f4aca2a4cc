// Builds the renderer into app/renderer/, where both the Electron window and the web shell's
// server load it from. Relative asset URLs (base './') work from a file or custom protocol and
// from http://127.0.0.1 alike.
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import type { Plugin } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const outDir = fileURLToPath(new URL('../app/renderer', import.meta.url));

/**
 * The dev server injects its client and CSS through inline code the strict CSP in index.html
 * forbids; only there is the policy left out. Builds keep it.
 */
function dropCspInDev(): Plugin {
  return {
    name: 'hearth-drop-csp-in-dev',
    apply: 'serve',
    transformIndexHtml: (html) => html.replace(/<meta\s+http-equiv="Content-Security-Policy"[^>]*>/s, ''),
  };
}

export default defineConfig({
  root,
  base: './',
  plugins: [react(), dropCspInDev()],
  build: {
    outDir,
    emptyOutDir: true,
    // No inlined scripts or assets as data: URLs beyond what the CSP allows for images.
    assetsInlineLimit: 0,
    // One bundle loaded from the local disk or loopback: its size is not a download cost.
    chunkSizeWarningLimit: 1024,
  },
});
