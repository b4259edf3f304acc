// The desktop app's logic, without Electron: profiles and preferences, the keychain, start at
// login, connect/disconnect through the engine, tray model, notifications and the log. The
// Electron shell (src/main/electron) constructs it with real parts; tests with doubles.
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { ConnectOptions, Engine, EngineState, EngineStats } from '../engine/types.js';
import type { IpcHandlers, IpcNotifiers } from '../../shared/ipc.js';
import type {
  AppInfo,
  Language,
  LoginRequest,
  PasserelleSchema,
  Preferences,
  Profile,
  ProfilesSnapshot,
  TunnelStats,
} from '../../shared/ipc-schema.js';
import type { Autostart } from './autostart.js';
import { ControllerError } from './errors.js';
import { keychainAccount, type CredentialStore } from './keychain.js';
import { Logbook } from './logbook.js';
import { gatewayLabel, languageFromLocale } from './messages.js';
import { notificationFor, type DesktopNotification } from './notifications.js';
import { SettingsStore, type SettingsFile, type SettingsProblem } from './settings.js';
import {
  INITIAL_TRAY_STATE,
  trayReduce,
  trayView,
  type TrayState,
  type TrayView,
} from './tray-state.js';

export interface ControllerDeps {
  engine: Engine;
  settings: SettingsStore;
  credentials: CredentialStore;
  autostart: Autostart;
  /** The OS language, e.g. "fr-FR" (Electron: app.getLocale()). */
  osLocale: string;
  version: string;
  platform: string;
  showNotification?: (notification: DesktopNotification) => void;
  hideWindow?: () => void;
  /** Reads the CA file of a profile; injectable for tests. */
  readTextFile?: (path: string) => Promise<string>;
  now?: () => number;
}

type Notifiers = IpcNotifiers<PasserelleSchema>;

const IDLE_STATES: ReadonlySet<EngineState['kind']> = new Set(['disconnected', 'error']);

export class AppController {
  readonly log: Logbook;
  private settings: SettingsFile;
  private settingsProblem: SettingsProblem | null;
  private remembered = new Set<string>();
  private lastState: EngineState;
  private lastStats: TunnelStats | null = null;
  private lastSample: { at: number; bytesIn: number; bytesOut: number } | null = null;
  private tray: TrayState = INITIAL_TRAY_STATE;
  private readonly renderers = new Set<Notifiers>();
  private readonly trayListeners = new Set<(view: TrayView) => void>();
  private readonly now: () => number;

  private constructor(
    private readonly deps: ControllerDeps,
    loaded: { settings: SettingsFile; problem: SettingsProblem | null },
  ) {
    this.now = deps.now ?? Date.now;
    this.log = new Logbook(1000, this.now);
    this.settings = loaded.settings;
    this.settingsProblem = loaded.problem;
    this.lastState = deps.engine.state();
    this.tray = trayReduce(this.tray, { type: 'engine', state: this.lastState });
    deps.engine.on('state', this.onEngineState);
    deps.engine.on('stats', this.onEngineStats);
    deps.engine.on('log', this.onEngineLog);
    this.log.onLine((line) => this.forEachRenderer((r) => r.logs.line(line)));
  }

  /** Loads the settings (falling back to defaults on a bad file) and the keychain state. */
  static async create(deps: ControllerDeps): Promise<AppController> {
    const loaded = await deps.settings.load();
    const controller = new AppController(deps, loaded);
    if (loaded.problem) {
      controller.log.add(
        'error',
        `Settings file ${loaded.problem.path} refused: ${loaded.problem.reason}. Using defaults; ` +
          `a copy is kept at ${loaded.problem.backupPath}, and the file is only rewritten when you change a setting.`,
      );
    }
    // The login item may have been removed behind our back (GNOME Tweaks, System Settings).
    try {
      controller.settings.preferences.startAtLogin = await deps.autostart.isEnabled();
    } catch (err) {
      controller.log.add(
        'warn',
        `Cannot read the start-at-login setting: ${(err as Error).message}`,
      );
    }
    await controller.refreshRemembered();
    return controller;
  }

  dispose(): void {
    this.deps.engine.off('state', this.onEngineState);
    this.deps.engine.off('stats', this.onEngineStats);
    this.deps.engine.off('log', this.onEngineLog);
  }

  // ---------- wiring ----------

  /** Receives main → renderer notifications; returns a function that detaches it. */
  attachRenderer(notifiers: Notifiers): () => void {
    this.renderers.add(notifiers);
    return () => this.renderers.delete(notifiers);
  }

  onTrayChange(listener: (view: TrayView) => void): () => void {
    this.trayListeners.add(listener);
    return () => this.trayListeners.delete(listener);
  }

  trayView(): TrayView {
    const active = this.activeProfile();
    return trayView(this.tray, {
      language: this.language(),
      canConnect: active !== null && this.remembered.has(active.id),
      profileGateway: active?.gatewayUrl ?? null,
    });
  }

  language(): Language {
    const chosen = this.settings.preferences.language;
    return chosen === 'system' ? languageFromLocale(this.deps.osLocale) : chosen;
  }

  preferences(): Preferences {
    return { ...this.settings.preferences };
  }

  state(): EngineState {
    return this.lastState;
  }

  /**
   * What the shell does at launch: connect when "connect at start" is on and a password is
   * remembered. Returns whether the window should be shown.
   */
  async startup(options: { launchedAtLogin: boolean }): Promise<{ showWindow: boolean }> {
    const prefs = this.settings.preferences;
    const active = this.activeProfile();
    if (prefs.connectAtStart && active) {
      if (this.remembered.has(active.id)) {
        // Not awaited: the window or tray must not wait for the network.
        this.connect(null).catch((err: Error) =>
          this.log.add('error', `Connect at start: ${err.message}`),
        );
      } else {
        this.log.add(
          'warn',
          'Connect at start is on, but no password is saved for the current profile.',
        );
        return { showWindow: true };
      }
    }
    return { showWindow: !(options.launchedAtLogin && prefs.startHidden) };
  }

  /** Quit: disconnect cleanly (bounded in time), then let go of the engine. */
  async shutdown(timeoutMs = 5000): Promise<void> {
    if (this.lastState.kind !== 'disconnected') {
      this.log.add('info', 'Quitting: disconnecting first.');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.deps.engine
          .disconnect()
          .catch((err: Error) => this.log.add('error', `Disconnect: ${err.message}`)),
        new Promise<void>((resolve) => {
          timer = setTimeout(() => {
            this.log.add('warn', `Disconnect took more than ${timeoutMs} ms; quitting anyway.`);
            resolve();
          }, timeoutMs);
        }),
      ]);
      clearTimeout(timer);
    }
    this.dispose();
  }

  // ---------- IPC ----------

  handlers(): IpcHandlers<PasserelleSchema> {
    return {
      app: {
        info: () => this.info(),
        hideWindow: () => this.deps.hideWindow?.(),
      },
      tunnel: {
        snapshot: () => ({
          state: this.lastState,
          stats: this.lastStats,
          resources: this.currentResources(),
        }),
        login: (req) => this.login(req),
        connect: (req) => this.connect(req?.otp ?? null),
        disconnect: () => this.disconnect(),
      },
      profiles: {
        list: () => this.profilesSnapshot(),
        save: (p) => this.saveProfile(p),
        remove: ({ id }) => this.removeProfile(id),
        select: ({ id }) => this.selectProfile(id),
        forgetPassword: ({ id }) => this.forgetPassword(id),
      },
      preferences: {
        get: () => this.preferences(),
        update: (patch) => this.updatePreferences(patch),
      },
      logs: {
        list: () => this.log.list(),
        clear: () => this.log.clear(),
      },
    };
  }

  info(): AppInfo {
    return {
      version: this.deps.version,
      platform: this.deps.platform,
      osLocale: this.deps.osLocale,
      settingsProblem: this.settingsProblem,
    };
  }

  // ---------- tunnel ----------

  async login(req: LoginRequest): Promise<Profile> {
    this.assertIdle();
    const gatewayUrl = new URL(req.gatewayUrl).origin;
    let profile = this.settings.profiles.find(
      (p) => p.gatewayUrl === gatewayUrl && p.username === req.username,
    );
    if (!profile) {
      profile = {
        id: randomUUID(),
        name: gatewayLabel(gatewayUrl),
        gatewayUrl,
        username: req.username,
      };
      this.settings.profiles.push(profile);
    }
    this.settings.activeProfileId = profile.id;
    await this.persist();

    const account = keychainAccount(profile);
    let password = req.password;
    if (password === '') {
      password = (await this.readKeychain(account)) ?? '';
      if (password === '') {
        throw new ControllerError(
          'password-needed',
          `No password is saved for ${account}: type it.`,
        );
      }
    }
    const connected = await this.connectProfile(profile, password, req.otp);
    if (connected) {
      if (req.remember && req.password !== '') {
        try {
          await this.deps.credentials.set(account, password);
          this.log.add('info', `Password for ${account} saved in the system keychain.`);
        } catch (err) {
          this.log.add(
            'warn',
            `Could not save the password in the system keychain: ${(err as Error).message}`,
          );
        }
      } else if (!req.remember) {
        await this.deleteKeychain(account);
      }
    }
    await this.refreshRemembered();
    this.emitProfiles();
    return profile;
  }

  async connect(otp: string | null): Promise<void> {
    this.assertIdle();
    const profile = this.activeProfile();
    if (!profile)
      throw new ControllerError('no-profile', 'No gateway is set up yet: log in first.');
    const account = keychainAccount(profile);
    const password = await this.readKeychain(account);
    if (!password)
      throw new ControllerError('password-needed', `No password is saved for ${account}: log in.`);
    this.tray = trayReduce(this.tray, { type: 'connect-clicked', gateway: profile.gatewayUrl });
    this.emitTray();
    try {
      await this.connectProfile(profile, password, otp ?? undefined);
    } finally {
      this.tray = trayReduce(this.tray, { type: 'engine', state: this.deps.engine.state() });
      this.emitTray();
    }
  }

  async disconnect(): Promise<void> {
    this.tray = trayReduce(this.tray, { type: 'disconnect-clicked' });
    this.log.add('info', 'Disconnecting.');
    await this.deps.engine.disconnect();
  }

  /** Resolves true when the tunnel is up; engine failures arrive as an error state, not a throw. */
  private async connectProfile(
    profile: Profile,
    password: string,
    otp: string | undefined,
  ): Promise<boolean> {
    const options: ConnectOptions = {
      gatewayUrl: profile.gatewayUrl,
      username: profile.username,
      password,
    };
    if (otp) options.otp = otp;
    if (profile.pin) options.pin = profile.pin;
    if (profile.caPath) {
      try {
        options.ca = await (this.deps.readTextFile ?? ((p) => readFile(p, 'utf8')))(profile.caPath);
      } catch (err) {
        throw new ControllerError(
          'ca-unreadable',
          `Cannot read the CA file ${profile.caPath} of profile "${profile.name}": ${(err as Error).message}`,
        );
      }
    }
    this.lastSample = null;
    this.log.add(
      'info',
      `Connecting to ${gatewayLabel(profile.gatewayUrl)} as ${profile.username}.`,
    );
    try {
      await this.deps.engine.connect(options);
    } catch (err) {
      const state = this.deps.engine.state();
      if (state.kind === 'error') return false; // the UI shows the reason from the state
      throw new ControllerError('connect-failed', (err as Error).message);
    }
    return this.deps.engine.state().kind === 'connected';
  }

  private assertIdle(): void {
    const kind = this.deps.engine.state().kind;
    if (!IDLE_STATES.has(kind)) {
      throw new ControllerError('busy', `The tunnel is ${kind}: disconnect first.`);
    }
  }

  private currentResources() {
    return this.lastState.kind === 'connected' ? this.deps.engine.resources() : [];
  }

  private readonly onEngineState = (next: EngineState): void => {
    const previous = this.lastState;
    this.lastState = next;
    if (next.kind !== 'connected') {
      this.lastStats = next.kind === 'disconnected' ? null : this.lastStats;
    }
    this.log.add(next.kind === 'error' ? 'error' : 'info', describeState(next));
    const notification = notificationFor(previous, next, this.language());
    if (notification) this.deps.showNotification?.(notification);
    this.tray = trayReduce(this.tray, { type: 'engine', state: next });
    this.emitTray();
    const resources = this.currentResources();
    this.forEachRenderer((r) => {
      r.tunnel.state(next);
      r.tunnel.resources(resources);
    });
  };

  private readonly onEngineStats = (stats: EngineStats): void => {
    const at = this.now();
    let inRate = 0;
    let outRate = 0;
    const prev = this.lastSample;
    if (prev && at > prev.at) {
      inRate = Math.max(0, ((stats.bytesIn - prev.bytesIn) * 1000) / (at - prev.at));
      outRate = Math.max(0, ((stats.bytesOut - prev.bytesOut) * 1000) / (at - prev.at));
    }
    this.lastSample = { at, bytesIn: stats.bytesIn, bytesOut: stats.bytesOut };
    const tunnelStats: TunnelStats = {
      ...stats,
      bytesInPerSecond: inRate,
      bytesOutPerSecond: outRate,
    };
    this.lastStats = tunnelStats;
    this.forEachRenderer((r) => r.tunnel.stats(tunnelStats));
  };

  private readonly onEngineLog = (line: {
    level: 'info' | 'warn' | 'error';
    message: string;
    time: number;
  }) => {
    this.log.add(line.level, line.message, line.time);
  };

  // ---------- profiles ----------

  profilesSnapshot(): ProfilesSnapshot {
    return {
      profiles: this.settings.profiles.map((p) => ({ ...p })),
      activeId: this.settings.activeProfileId,
      remembered: [...this.remembered],
    };
  }

  async saveProfile(input: Omit<Profile, 'id'> & { id?: string | undefined }): Promise<Profile> {
    const gatewayUrl = new URL(input.gatewayUrl).origin;
    const profile: Profile = { ...input, gatewayUrl, id: input.id ?? randomUUID() };
    const index = this.settings.profiles.findIndex((p) => p.id === profile.id);
    if (input.id !== undefined && index < 0) {
      throw new ControllerError('not-found', `No profile has id ${input.id}.`);
    }
    const previous = index >= 0 ? this.settings.profiles[index] : undefined;
    if (previous && keychainAccount(previous) !== keychainAccount(profile)) {
      // A remembered password belongs to one user on one gateway: never reuse it for another.
      await this.deleteKeychain(keychainAccount(previous));
    }
    if (index >= 0) this.settings.profiles[index] = profile;
    else this.settings.profiles.push(profile);
    this.settings.activeProfileId ??= profile.id;
    await this.persist();
    await this.refreshRemembered();
    this.emitProfiles();
    return profile;
  }

  async removeProfile(id: string): Promise<void> {
    const profile = this.requireProfile(id);
    await this.deleteKeychain(keychainAccount(profile));
    this.settings.profiles = this.settings.profiles.filter((p) => p.id !== id);
    if (this.settings.activeProfileId === id) {
      this.settings.activeProfileId = this.settings.profiles[0]?.id ?? null;
    }
    await this.persist();
    await this.refreshRemembered();
    this.emitProfiles();
  }

  async selectProfile(id: string): Promise<void> {
    this.requireProfile(id);
    this.settings.activeProfileId = id;
    await this.persist();
    this.emitProfiles();
  }

  async forgetPassword(id: string): Promise<void> {
    const profile = this.requireProfile(id);
    await this.deleteKeychain(keychainAccount(profile));
    await this.refreshRemembered();
    this.emitProfiles();
  }

  private activeProfile(): Profile | null {
    return this.settings.profiles.find((p) => p.id === this.settings.activeProfileId) ?? null;
  }

  private requireProfile(id: string): Profile {
    const profile = this.settings.profiles.find((p) => p.id === id);
    if (!profile) throw new ControllerError('not-found', `No profile has id ${id}.`);
    return profile;
  }

  // ---------- preferences ----------

  async updatePreferences(patch: Partial<Preferences>): Promise<Preferences> {
    const next = { ...this.settings.preferences, ...patch };
    if (next.startAtLogin !== this.settings.preferences.startAtLogin) {
      try {
        await this.deps.autostart.setEnabled(next.startAtLogin);
      } catch (err) {
        throw new ControllerError(
          'autostart',
          `Cannot change start at login: ${(err as Error).message}`,
        );
      }
      this.log.add(
        'info',
        next.startAtLogin ? 'Passerelle will start at login.' : 'Start at login turned off.',
      );
    }
    this.settings.preferences = next;
    await this.persist();
    this.forEachRenderer((r) => r.preferences.changed(this.preferences()));
    this.emitTray(); // the language may have changed
    return this.preferences();
  }

  // ---------- helpers ----------

  private async persist(): Promise<void> {
    await this.deps.settings.save(this.settings);
    if (this.settingsProblem) {
      this.log.add(
        'info',
        `Settings written to ${this.deps.settings.path}; the refused file stays at ${this.settingsProblem.backupPath}.`,
      );
      this.settingsProblem = null;
    }
  }

  private async readKeychain(account: string): Promise<string | null> {
    try {
      return await this.deps.credentials.get(account);
    } catch (err) {
      throw new ControllerError(
        'keychain',
        `The system keychain cannot be read: ${(err as Error).message}`,
      );
    }
  }

  private async deleteKeychain(account: string): Promise<void> {
    try {
      if (await this.deps.credentials.delete(account)) {
        this.log.add('info', `Saved password for ${account} forgotten.`);
      }
    } catch (err) {
      throw new ControllerError(
        'keychain',
        `The system keychain cannot be changed: ${(err as Error).message}`,
      );
    }
  }

  private async refreshRemembered(): Promise<void> {
    const remembered = new Set<string>();
    for (const profile of this.settings.profiles) {
      try {
        if ((await this.deps.credentials.get(keychainAccount(profile))) !== null)
          remembered.add(profile.id);
      } catch (err) {
        this.log.add('warn', `The system keychain cannot be read: ${(err as Error).message}`);
        break;
      }
    }
    this.remembered = remembered;
    this.emitTray();
  }

  private emitProfiles(): void {
    const snapshot = this.profilesSnapshot();
    this.forEachRenderer((r) => r.profiles.changed(snapshot));
  }

  private emitTray(): void {
    if (this.trayListeners.size === 0) return;
    const view = this.trayView();
    for (const listener of this.trayListeners) listener(view);
  }

  private forEachRenderer(fn: (r: Notifiers) => void): void {
    for (const r of this.renderers) {
      try {
        fn(r);
      } catch {
        // A closed window must not break the others or the engine's event loop.
      }
    }
  }
}

function describeState(state: EngineState): string {
  switch (state.kind) {
    case 'disconnected':
      return 'Disconnected.';
    case 'connecting':
      return `Connecting to ${gatewayLabel(state.gateway)}…`;
    case 'connected':
      return `Connected to ${gatewayLabel(state.gateway)}${state.intranetIp ? `, intranet address ${state.intranetIp}` : ''}.`;
    case 'reconnecting':
      return `Reconnecting to ${gatewayLabel(state.gateway)} (attempt ${state.attempt}): ${state.reason}`;
    case 'error':
      return `Connection to ${gatewayLabel(state.gateway)} failed (${state.reason}): ${state.message}`;
  }
}
