import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AUTOSTART_FLAG,
  LoginItemAutostart,
  XdgAutostart,
  autostartDesktopEntry,
  quoteExecArg,
} from '../../../src/main/controller/autostart.js';

describe('XDG autostart', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'passerelle-autostart-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes ~/.config/autostart/passerelle.desktop and removes it', async () => {
    const a = new XdgAutostart({ execPath: '/opt/Passerelle/passerelle-desktop', configHome: dir });
    expect(a.file).toBe(join(dir, 'autostart', 'passerelle.desktop'));
    expect(await a.isEnabled()).toBe(false);
    await a.setEnabled(true);
    const text = readFileSync(a.file, 'utf8');
    expect(text.split('\n')[0]).toBe('[Desktop Entry]');
    expect(text).toContain('Type=Application\n');
    expect(text).toContain(`Exec=/opt/Passerelle/passerelle-desktop ${AUTOSTART_FLAG}\n`);
    expect(text).toContain('X-GNOME-Autostart-enabled=true\n');
    expect(await a.isEnabled()).toBe(true);
    await a.setEnabled(true); // idempotent
    await a.setEnabled(false);
    expect(await a.isEnabled()).toBe(false);
    await a.setEnabled(false); // removing twice is fine
  });

  it('passes the app path when run unpackaged, quoted as the spec wants', async () => {
    const a = new XdgAutostart({
      execPath: '/usr/lib/electron/electron',
      args: ['/home/me/my app'],
      configHome: dir,
    });
    await a.setEnabled(true);
    expect(readFileSync(a.file, 'utf8')).toContain(
      'Exec=/usr/lib/electron/electron "/home/me/my app" --autostart\n',
    );
  });

  it('counts an entry the user disabled as off', async () => {
    const a = new XdgAutostart({ execPath: '/x', configHome: dir });
    await a.setEnabled(true);
    writeFileSync(
      a.file,
      readFileSync(a.file, 'utf8').replace(
        'X-GNOME-Autostart-enabled=true',
        'X-GNOME-Autostart-enabled=false',
      ),
    );
    expect(await a.isEnabled()).toBe(false);
  });

  it('quotes Exec arguments', () => {
    expect(quoteExecArg('/opt/App/app')).toBe('/opt/App/app');
    expect(quoteExecArg('a "b" $c `d` \\e')).toBe('"a \\"b\\" \\$c \\`d\\` \\\\e"');
    expect(autostartDesktopEntry('/a b', [])).toContain('Exec="/a b"\n');
  });
});

describe('login-item autostart (macOS, Windows)', () => {
  it('calls the functions the Electron shell passes in', async () => {
    let current = { openAtLogin: false };
    const calls: unknown[] = [];
    const a = new LoginItemAutostart({
      set: (s) => {
        calls.push(s);
        current = { openAtLogin: s.openAtLogin };
      },
      get: () => current,
    });
    await a.setEnabled(true);
    expect(await a.isEnabled()).toBe(true);
    await a.setEnabled(false);
    expect(calls).toEqual([
      { openAtLogin: true, args: [AUTOSTART_FLAG] },
      { openAtLogin: false, args: [AUTOSTART_FLAG] },
    ]);
  });
});
