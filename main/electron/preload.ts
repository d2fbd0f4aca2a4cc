// The preload of Hearth's window, the only bridge between the page and the main process. It
// exposes exactly `window.hearth = { call, pickPath, subscribe }` (the renderer's HearthBridge;
// pickPath opens the system's file or folder dialog, checked in the main process): no raw
// ipcRenderer, no channel names from the page, and listeners never see the IpcRendererEvent
// (it would leak `sender`). Bundled as CommonJS: sandboxed preloads may only require 'electron'.
import { contextBridge, ipcRenderer } from 'electron';
import type { IpcRendererEvent } from 'electron';
import { CALL_CHANNEL, EVENT_CHANNEL, PICK_PATH_CHANNEL } from './ipc-channels.ts';

contextBridge.exposeInMainWorld('hearth', {
  call(method: string, input: unknown): Promise<unknown> {
    return ipcRenderer.invoke(CALL_CHANNEL, String(method), input);
  },
  pickPath(request: unknown): Promise<unknown> {
    return ipcRenderer.invoke(PICK_PATH_CHANNEL, request);
  },
  subscribe(listener: (event: unknown) => void): () => void {
    if (typeof listener !== 'function') throw new TypeError('hearth.subscribe needs a function');
    const forward = (_ipcEvent: IpcRendererEvent, event: unknown) => listener(event);
    ipcRenderer.on(EVENT_CHANNEL, forward);
    return () => {
      ipcRenderer.removeListener(EVENT_CHANNEL, forward);
    };
  },
});
