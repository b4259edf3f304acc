// The small pure parts of the desktop shell: error sentences by cause, time and install kind,
// the right-click menu, how the app was installed, whether a tray host runs, diagnostics
// scrubbing.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { contextMenuItems } from '../../../src/main/controller/context-menu.js';
import { redactSecrets } from '../../../src/main/controller/diagnostics.js';
import { installKind } from '../../../src/main/controller/install-kind.js';
import { clockTime, errorSentence } from '../../../src/main/controller/messages.js';
import { statusNotifierWatcherPresent } from '../../../src/main/controller/tray-detect.js';
import type { EngineState } from '../../../src/main/engine/types.js';

type ErrorState = Extract<EngineState, { kind: 'error' }>;
const error = (extra: Partial<ErrorState>): ErrorState => ({
  kind: 'error',
  gateway: 'https://vpn.corp.test',
  reason: 'gateway-unreachable',
  message: 'raw',
  ...extra,
});

describe('error sentences', () => {
  it('says why a gateway cannot be reached, in both languages', () => {
    expect(errorSentence(error({ cause: 'name-unknown' }), 'en', 'deb')).toBe(
      'vpn.corp.test cannot be reached: its name is unknown: check the gateway address.',
    );
    expect(errorSentence(error({ cause: 'refused' }), 'fr', 'deb')).toBe(
      'vpn.corp.test est injoignable : elle a refusé la connexion : le service de la passerelle est peut-être arrêté, ou le port erroné.',
    );
    expect(errorSentence(error({}), 'en', 'deb')).toContain('cannot be reached');
  });

  it('gives the time a rate limit ends', () => {
    const at = new Date(2030, 0, 1, 14, 32).getTime();
    expect(clockTime(at, 'en')).toBe('14:32');
    expect(errorSentence(error({ reason: 'rate-limited', retryAt: at }), 'en', 'deb')).toBe(
      'Too many attempts. Try again at 14:32.',
    );
    expect(errorSentence(error({ reason: 'rate-limited', retryAt: at }), 'fr', 'deb')).toBe(
      'Trop de tentatives. Réessayez à 14:32.',
    );
  });

  it('advises by where the app runs when it may not create its network device', () => {
    const noPriv = error({ reason: 'no-privileges' });
    expect(errorSentence(noPriv, 'en', 'deb')).toContain('apt install --reinstall passerelle');
    expect(errorSentence(noPriv, 'en', 'appimage')).toContain('Install the .deb package');
    expect(errorSentence(noPriv, 'en', 'development')).toContain('setcap cap_net_admin+ep');
    expect(errorSentence(noPriv, 'fr', 'appimage')).toContain('une AppImage ne peut pas');
  });
});

describe('install kind', () => {
  it('tells the .deb, the AppImage and a development build apart', () => {
    expect(installKind({ platform: 'linux', isPackaged: false, env: {} })).toBe('development');
    expect(installKind({ platform: 'linux', isPackaged: true, env: {} })).toBe('deb');
    expect(
      installKind({ platform: 'linux', isPackaged: true, env: { APPIMAGE: '/x.AppImage' } }),
    ).toBe('appimage');
    expect(installKind({ platform: 'darwin', isPackaged: true, env: {} })).toBe('other');
  });
});

describe('context menu', () => {
  const flags = { canCut: true, canCopy: true, canPaste: true, canSelectAll: true };
  it('offers Cut, Copy, Paste in a field; Copy on selected text; in the app language', () => {
    expect(
      contextMenuItems({ isEditable: true, selectionText: '', editFlags: flags }, 'en').map(
        (i) => i.role,
      ),
    ).toEqual(['cut', 'copy', 'paste', 'selectAll']);
    expect(
      contextMenuItems(
        { isEditable: true, selectionText: '', editFlags: { ...flags, canCut: false } },
        'fr',
      )[0],
    ).toEqual({ role: 'cut', label: 'Couper', enabled: false });
    expect(
      contextMenuItems({ isEditable: false, selectionText: '100.64.0.2', editFlags: flags }, 'fr'),
    ).toEqual([
      { role: 'copy', label: 'Copier', enabled: true },
      { role: 'selectAll', label: 'Tout sélectionner', enabled: true },
    ]);
    expect(
      contextMenuItems({ isEditable: false, selectionText: ' ', editFlags: flags }, 'en'),
    ).toEqual([{ role: 'selectAll', label: 'Select All', enabled: true }]);
  });
});

describe('diagnostics scrubbing', () => {
  it('removes bearer tokens, key=value secrets and gateway tokens, keeps the rest', () => {
    const token = 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abcd';
    expect(token).toHaveLength(42);
    const gatewayToken = `${token}Z`;
    const text = [
      'proxy-authorization: Bearer abc.def',
      'password=hunter2 otp: 123456',
      `token "${gatewayToken}"`,
      `session ${gatewayToken} ended`,
      'sha256 AB:CD:EF fingerprint kept, 198.18.0.0/23 kept',
    ].join('\n');
    const out = redactSecrets(text);
    for (const secret of ['abc.def', 'hunter2', '123456', gatewayToken])
      expect(out).not.toContain(secret);
    expect(out).toContain('sha256 AB:CD:EF fingerprint kept, 198.18.0.0/23 kept');
    expect(out).toContain('session [redacted] ended');
  });
});

describe('tray host detection', () => {
  it('reads the bus answer; no bus or no dbus-send is "unknown"', async () => {
    const answer = (text: string) => async () => ({ stdout: text });
    expect(await statusNotifierWatcherPresent(answer('method return …\n   boolean true\n'))).toBe(
      true,
    );
    expect(await statusNotifierWatcherPresent(answer('   boolean false\n'))).toBe(false);
    expect(await statusNotifierWatcherPresent(answer('garbage'))).toBeNull();
    expect(
      await statusNotifierWatcherPresent(async () => {
        throw new Error('spawn dbus-send ENOENT');
      }),
    ).toBeNull();
  });

  it.runIf(existsSync('/usr/bin/dbus-run-session') && existsSync('/usr/bin/dbus-send'))(
    'on a real session bus with no tray host, says false',
    async () => {
      // dbus-run-session starts a private bus: nobody owns the watcher name there.
      const onPrivateBus = async (file: string, args: string[], timeoutMs: number) => ({
        stdout: execFileSync('dbus-run-session', ['--', file, ...args], {
          encoding: 'utf8',
          timeout: timeoutMs + 5000,
          stdio: ['ignore', 'pipe', 'ignore'],
        }),
      });
      expect(await statusNotifierWatcherPresent(onPrivateBus)).toBe(false);
    },
  );
});
