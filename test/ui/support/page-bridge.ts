// Runs inside the page (bundled by esbuild into an init script): builds window.passerelle with
// the same createRendererApi() the Electron preload uses, over a transport whose invoke goes to
// a Playwright binding and whose notifications arrive through __passerelleDispatch.
import { createRendererApi, type RendererTransport } from '../../../src/shared/ipc.js';
import { ipcSchema } from '../../../src/shared/ipc-schema.js';

interface BridgeWindow {
  __passerelleInvoke(channel: string, request: unknown): Promise<unknown>;
  __passerelleDispatch?: (channel: string, payload: unknown) => void;
  passerelle?: unknown;
}

const w = window as unknown as BridgeWindow;
const listeners = new Map<string, Set<(payload: unknown) => void>>();

w.__passerelleDispatch = (channel, payload) => {
  for (const listener of listeners.get(channel) ?? []) listener(payload);
};

const transport: RendererTransport = {
  invoke: (channel, request) => w.__passerelleInvoke(channel, request),
  subscribe(channel, listener) {
    let set = listeners.get(channel);
    if (!set) listeners.set(channel, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  },
};

w.passerelle = Object.freeze(createRendererApi(ipcSchema, transport));
