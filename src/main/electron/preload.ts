// Runs in the sandboxed preload: exposes exactly the typed API of the IPC schema as
// window.passerelle, and nothing of Electron or Node. Bundled to CommonJS by `npm run
// build:preload`, since a sandboxed preload cannot be an ES module.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { createRendererApi, type RendererTransport } from '../../shared/ipc.js';
import { ipcSchema } from '../../shared/ipc-schema.js';

const transport: RendererTransport = {
  invoke: (channel, request) => ipcRenderer.invoke(channel, request),
  subscribe(channel, listener) {
    const forward = (_event: IpcRendererEvent, payload: unknown) => listener(payload);
    ipcRenderer.on(channel, forward);
    return () => {
      ipcRenderer.removeListener(channel, forward);
    };
  },
};

contextBridge.exposeInMainWorld('passerelle', createRendererApi(ipcSchema, transport));
