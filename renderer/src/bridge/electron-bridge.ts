// In the Electron app the preload exposes the bridge as `window.hearth` through contextBridge:
// exactly the HearthBridge shape, with `call` sent over the 'hearth:call' IPC channel and
// `subscribe` fed from 'hearth:event'. Nothing else of Electron or Node reaches the page.
import type { HearthBridge } from './hearth-bridge.ts';

declare global {
  interface Window {
    /** Set by the Electron preload; absent in a browser (the web shell). */
    readonly hearth?: HearthBridge;
  }
}

/** The preload's bridge when running inside the Electron app, otherwise undefined. */
export function electronBridge(): HearthBridge | undefined {
  const candidate = window.hearth;
  if (candidate && typeof candidate.call === 'function' && typeof candidate.subscribe === 'function') return candidate;
  return undefined;
}
