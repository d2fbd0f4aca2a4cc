// Electron's preload bridge when the page runs in the app, else HTTP to the web shell's server.
import { electronBridge } from './electron-bridge.ts';
import type { HearthBridge } from './hearth-bridge.ts';
import { createHttpBridge } from './http-bridge.ts';

export function chooseBridge(): HearthBridge {
  return electronBridge() ?? createHttpBridge();
}
