import { readFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { XdgAutostart } from '../../../src/main/controller/autostart.js';
import { AppController } from '../../../src/main/controller/controller.js';
import { MemoryCredentialStore } from '../../../src/main/controller/keychain.js';
import { SettingsStore } from '../../../src/main/controller/settings.js';
import {
  IpcError,
  createRendererApi,
  listChannels,
  registerHandlers,
  type IpcHandlers,
  type IpcResult,
  type MainTransport,
  type RendererTransport,
} from '../../../src/shared/ipc.js';
import { ipcSchema, type PasserelleSchema } from '../../../src/shared/ipc-schema.js';
import { EngineDouble } from '../../ui/support/engine-double.js';
import { scenario } from '../../ui/support/scenario.js';

/** main ⇄ renderer in memory, with a JSON round trip standing in for structured clone. */
function loopback() {
  const handlers = new Map<string, (req: unknown) => Promise<IpcResult<unknown>>>();
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  const clone = <T>(v: T): T => (v === undefined ? v : JSON.parse(JSON.stringify(v)));
  const main: MainTransport = {
    handle(channel, handler) {
      if (handlers.has(channel)) throw new Error(`two handlers for ${channel}`);
      handlers.set(channel, handler);
    },
    send: (channel, payload) => listeners.get(channel)?.forEach((l) => l(clone(payload))),
  };
  const renderer: RendererTransport = {
    async invoke(channel, request) {
      const h = handlers.get(channel);
      if (!h) throw new Error(`no handler for ${channel}`);
      return clone(await h(clone(request)));
    },
    subscribe(channel, listener) {
      const set = listeners.get(channel) ?? new Set();
      listeners.set(channel, set);
      set.add(listener);
      return () => set.delete(listener);
    },
  };
  return { main, renderer, handlers };
}

describe('IPC schema coverage', () => {
  let dir: string;
  let controller: AppController;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'passerelle-ipc-'));
    controller = await AppController.create({
      engine: new EngineDouble({ ...scenario(), phaseDelayMs: 1 }),
      settings: new SettingsStore(join(dir, 'settings.json')),
      credentials: new MemoryCredentialStore(),
      autostart: new XdgAutostart({ execPath: '/x', configHome: dir }),
      osLocale: 'en-US',
      version: '0.0.0',
      platform: 'linux',
    });
  });
  afterEach(() => {
    controller.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists channels with unique names and both directions', () => {
    const channels = listChannels(ipcSchema);
    expect(new Set(channels.map((c) => c.channel)).size).toBe(channels.length);
    expect(channels.some((c) => c.kind === 'invoke')).toBe(true);
    expect(channels.some((c) => c.kind === 'notify')).toBe(true);
  });

  it('has exactly one main-side handler for every invoke channel, from the controller', () => {
    const { main, handlers } = loopback();
    registerHandlers(ipcSchema, main, controller.handlers());
    const invokes = listChannels(ipcSchema)
      .filter((c) => c.kind === 'invoke')
      .map((c) => c.channel);
    expect([...handlers.keys()].sort()).toEqual(invokes.sort());
  });

  it('refuses to register when a handler is missing', () => {
    const { main } = loopback();
    const handlers = controller.handlers() as unknown as Record<string, Record<string, unknown>>;
    const incomplete = { ...handlers, logs: { list: handlers.logs?.list } };
    expect(() =>
      registerHandlers(ipcSchema, main, incomplete as unknown as IpcHandlers<PasserelleSchema>),
    ).toThrow('IPC channel logs.clear has no handler in main');
  });

  it('gives the renderer one function per channel: calls and on<Event> subscribers', () => {
    const { renderer } = loopback();
    const api = createRendererApi(ipcSchema, renderer) as unknown as Record<
      string,
      Record<string, unknown>
    >;
    for (const c of listChannels(ipcSchema)) {
      const key = c.kind === 'invoke' ? c.name : `on${c.name[0]?.toUpperCase()}${c.name.slice(1)}`;
      expect(typeof api[c.group]?.[key], `${c.group}.${key}`).toBe('function');
    }
  });

  it('is what the Electron preload exposes, and nothing else', () => {
    const preload = readFileSync(
      new URL('../../../src/main/electron/preload.ts', import.meta.url),
      'utf8',
    );
    expect(preload).toContain(
      "contextBridge.exposeInMainWorld('passerelle', createRendererApi(ipcSchema, transport))",
    );
    expect(preload.match(/exposeInMainWorld/g)).toHaveLength(1);
  });

  it('carries values, errors as { type: "error" } values rethrown, and notifications', async () => {
    const { main, renderer } = loopback();
    controller.attachRenderer(registerHandlers(ipcSchema, main, controller.handlers()));
    const api = createRendererApi(ipcSchema, renderer);

    expect(await api.preferences.get()).toMatchObject({ startAtLogin: false, language: 'system' });

    // A controller error crosses as a value and comes back as an IpcError with its code.
    const missing = await api.profiles.select({ id: 'nope' }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(IpcError);
    expect(missing).toMatchObject({ code: 'not-found', message: 'No profile has id nope.' });

    // A request the schema refuses never reaches the controller.
    const invalid = await api.tunnel
      .login({ gatewayUrl: 'http://plain.test', username: 'a', password: 'b', remember: false })
      .catch((e: unknown) => e);
    expect(invalid).toMatchObject({ code: 'invalid-request' });
    expect((invalid as Error).message).toContain('gatewayUrl');

    const states: string[] = [];
    const off = api.tunnel.onState((s) => states.push(s.kind));
    await api.tunnel.login({
      gatewayUrl: 'https://vpn.corp.test',
      username: 'alice',
      password: 'correct horse battery staple',
      remember: false,
    });
    expect(states).toEqual(['connecting', 'connecting', 'connecting', 'connecting', 'connected']);
    off();
    await api.tunnel.disconnect();
    expect(states).toHaveLength(5);
  });
});
