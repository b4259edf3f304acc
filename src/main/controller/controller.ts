// The desktop app's logic, without Electron: profiles and preferences, the keychain, start at
// login, connect/disconnect through the engine, the traffic history, tray model, notifications,
// the log and diagnostics. The Electron shell (src/main/electron) constructs it with real parts;
// tests with doubles.
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { ConnectOptions, Engine, EngineState, EngineStats } from '../engine/types.js';
import type { IpcHandlers, IpcNotifiers } from '../../shared/ipc.js';
import type {
  AppInfo,
  InstallKind,
  Language,
  LoginRequest,
  LoginResult,
  PasserelleSchema,
  Preferences,
  Profile,
  ProfilesSnapshot,
  TunnelStats,
} from '../../shared/ipc-schema.js';
import { appendSample, type TrafficSample } from '../../shared/traffic-history.js';
import type { Autostart } from './autostart.js';
import { buildDiagnostics, logText } from './diagnostics.js';
import { ControllerError } from './errors.js';
import { keychainAccount, type CredentialStore } from './keychain.js';
import { Logbook } from './logbook.js';
import { MAIN_MESSAGES, gatewayLabel, languageFromLocale } from './messages.js';
import { notificationFor, type DesktopNotification } from './notifications.js';
import { SettingsStore, type SettingsFile, type SettingsProblem } from './settings.js';
import {
  INITIAL_TRAY_STATE,
  trayReduce,
  trayView,
  windowCloseAction,
  type TrayAction,
  type TrayState,
  type TrayView,
  type WindowCloseAction,
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
  /** How the app was installed (install-kind.ts); decides the no-privileges advice. */
  installKind?: InstallKind;
  /** Whether the desktop shows a tray icon (tray-state.ts trayAvailable); true by default. */
  trayAvailable?: boolean;
  /** "linux 6.1.0 x64" and "Electron 45, Node 22", for diagnostics. */
  system?: string;
  runtime?: string;
  showNotification?: (notification: DesktopNotification) => void;
  hideWindow?: () => void;
  /** Reads the CA file of a profile; injectable for tests. */
  readTextFile?: (path: string) => Promise<string>;
  /** The system clipboard (Electron's clipboard.writeText). */
  writeClipboard?: (text: string) => void;
  /**
   * Asks the user where to save a text file and writes it there; resolves the path, or null
   * when the user cancelled.
   */
  saveTextFile?: (suggestedName: string, content: string) => Promise<string | null>;
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
  private history: TrafficSample[] = [];
  private tray: TrayState = INITIAL_TRAY_STATE;
  /** Redraws the tray's "for 12 min" line while connected. */
  private trayClock: NodeJS.Timeout | undefined;
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
    clearInterval(this.trayClock);
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
      profiles: this.settings.profiles.map(({ id, name, gatewayUrl }) => ({
        id,
        name,
        gatewayUrl,
      })),
      activeProfileId: this.settings.activeProfileId,
      now: this.now(),
    });
  }

  /**
   * Runs a tray menu action. Returns 'open-window' when the window must come up (the action
   * needs the user, or failed and the window says why) and 'quit' for Quit; the shell does
   * those two.
   */
  async trayAction(action: TrayAction): Promise<'open-window' | 'quit' | null> {
    switch (action.type) {
      case 'open':
        return 'open-window';
      case 'quit':
        return 'quit';
      case 'disconnect':
        await this.disconnect();
        return null;
      case 'connect':
        try {
          await this.connect(null);
          return this.lastState.kind === 'error' ? 'open-window' : null;
        } catch {
          return 'open-window'; // the window says what is missing
        }
      case 'select-profile':
        try {
          const outcome = await this.switchProfile(action.id);
          return outcome === 'needs-password' || this.lastState.kind === 'error'
            ? 'open-window'
            : null;
        } catch {
          return 'open-window';
        }
    }
  }

  /** What closing the window does (tray-state.ts windowCloseAction). */
  windowCloseAction(): WindowCloseAction {
    return windowCloseAction(this.deps.trayAvailable ?? true, this.lastState.kind);
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
    // Without a tray a hidden window could not be found again.
    const mayHide = this.deps.trayAvailable ?? true;
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
    return { showWindow: !(options.launchedAtLogin && prefs.startHidden && mayHide) };
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
        copyDiagnostics: () => this.copyDiagnostics(),
      },
      tunnel: {
        snapshot: () => ({
          state: this.lastState,
          stats: this.lastStats,
          resources: this.currentResources(),
          history: [...this.history],
        }),
        login: (req) => this.login(req),
        connect: (req) => this.connect(req?.otp ?? null),
        disconnect: () => this.disconnect(),
      },
      profiles: {
        list: () => this.profilesSnapshot(),
        save: (p) => this.saveProfile(p),
        remove: ({ id }) => this.removeProfile(id),
        select: async ({ id }) => void (await this.switchProfile(id)),
        forgetPassword: ({ id }) => this.forgetPassword(id),
        rememberPassword: ({ id, password }) => this.rememberPassword(id, password),
      },
      preferences: {
        get: () => this.preferences(),
        update: (patch) => this.updatePreferences(patch),
      },
      logs: {
        list: () => this.log.list(),
        clear: () => this.log.clear(),
        copy: () => this.copyText(logText(this.log.list())),
        save: () => this.saveLog(),
      },
    };
  }

  info(): AppInfo {
    return {
      version: this.deps.version,
      platform: this.deps.platform,
      osLocale: this.deps.osLocale,
      settingsProblem: this.settingsProblem,
      installKind: this.deps.installKind ?? 'other',
      trayAvailable: this.deps.trayAvailable ?? true,
    };
  }

  // ---------- diagnostics ----------

  diagnostics(): string {
    const active = this.activeProfile();
    const trust = !active
      ? null
      : active.pin?.startsWith('spki-')
        ? 'public-key pin'
        : active.pin
          ? 'certificate pin'
          : active.caPath
            ? 'CA file'
            : 'system CAs';
    return buildDiagnostics({
      generatedAt: this.now(),
      version: this.deps.version,
      installKind: this.deps.installKind ?? 'other',
      system: this.deps.system ?? this.deps.platform,
      runtime: this.deps.runtime ?? `Node ${process.versions.node}`,
      language: this.language(),
      trayAvailable: this.deps.trayAvailable ?? true,
      state: this.lastState,
      stats: this.lastStats,
      profiles: {
        count: this.settings.profiles.length,
        activeGateway: active?.gatewayUrl ?? null,
        activeTrust: trust,
      },
      preferences: this.preferences(),
      settingsProblem: this.settingsProblem
        ? `${this.settingsProblem.path}: ${this.settingsProblem.reason}`
        : null,
      log: this.log.list(),
    });
  }

  private copyDiagnostics(): string {
    const text = this.diagnostics();
    this.copyText(text);
    return text;
  }

  private copyText(text: string): void {
    if (!this.deps.writeClipboard)
      throw new ControllerError('clipboard', 'No clipboard is available here.');
    this.deps.writeClipboard(text);
  }

  private async saveLog(): Promise<{ path: string } | null> {
    if (!this.deps.saveTextFile)
      throw new ControllerError('save', 'Files cannot be saved from here.');
    const stamp = new Date(this.now()).toISOString().replace(/[:.]/g, '-');
    try {
      const path = await this.deps.saveTextFile(
        `passerelle-log-${stamp}.txt`,
        logText(this.log.list()),
      );
      if (path) this.log.add('info', `Log saved to ${path}.`);
      return path ? { path } : null;
    } catch (err) {
      throw new ControllerError('save', `The log could not be saved: ${(err as Error).message}`);
    }
  }

  // ---------- tunnel ----------

  async login(req: LoginRequest): Promise<LoginResult> {
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
    let passwordNotSaved: string | null = null;
    if (connected) {
      if (req.remember && req.password !== '') {
        try {
          await this.deps.credentials.set(account, password);
          this.log.add('info', `Password for ${account} saved in the system keychain.`);
        } catch (err) {
          // The tunnel is up; the window asks whether to go on without a saved password.
          passwordNotSaved = (err as Error).message;
          this.log.add(
            'warn',
            `Could not save the password in the system keychain: ${passwordNotSaved}`,
          );
        }
      } else if (!req.remember) {
        await this.deleteKeychain(account);
      }
    }
    await this.refreshRemembered();
    this.emitProfiles();
    return { profile, passwordNotSaved };
  }

  /** "Try again" after the keychain refused the password at login. */
  async rememberPassword(id: string, password: string): Promise<void> {
    const account = keychainAccount(this.requireProfile(id));
    try {
      await this.deps.credentials.set(account, password);
    } catch (err) {
      throw new ControllerError(
        'keychain',
        `The system keychain cannot be changed: ${(err as Error).message}`,
      );
    }
    this.log.add('info', `Password for ${account} saved in the system keychain.`);
    await this.refreshRemembered();
    this.emitProfiles();
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
    this.history = [];
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
    if (next.kind === 'disconnected') this.history = [];
    // One log line per state change, worded here; the engine logs only what states do not say.
    this.log.add(
      logLevel(next),
      describeState(next, this.activeProfile()?.username ?? null, this.now()),
    );
    const notification = notificationFor(
      previous,
      next,
      this.language(),
      this.deps.installKind ?? 'other',
    );
    if (notification) this.deps.showNotification?.(notification);
    this.tray = trayReduce(this.tray, { type: 'engine', state: next });
    this.emitTray();
    this.runTrayClock(next.kind === 'connected');
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
      at,
      bytesInPerSecond: inRate,
      bytesOutPerSecond: outRate,
    };
    this.lastStats = tunnelStats;
    this.history = appendSample(this.history, sampleOf(tunnelStats));
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
    this.emitTray();
  }

  /**
   * Makes `id` the current profile. With the tunnel up on another one, disconnects it and
   * connects the new one when its password is saved; otherwise the user must log in
   * ('needs-password'). The window and the tray both switch this way, so the Status view never
   * shows one profile while the tunnel runs on another.
   */
  async switchProfile(id: string): Promise<'switched' | 'connected' | 'needs-password'> {
    const profile = this.requireProfile(id);
    const wasUp = !IDLE_STATES.has(this.deps.engine.state().kind);
    if (this.settings.activeProfileId === id) return 'switched';
    if (wasUp) await this.disconnect();
    await this.selectProfile(id);
    if (!wasUp) return 'switched';
    if (!this.remembered.has(profile.id)) return 'needs-password';
    await this.connect(null);
    return 'connected';
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
      this.emitInfo(); // the window's banner goes with it
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

  /** The tray menu is not redrawn while open, so its duration line counts whole minutes. */
  private runTrayClock(on: boolean): void {
    if (!on) {
      clearInterval(this.trayClock);
      this.trayClock = undefined;
    } else if (!this.trayClock) {
      this.trayClock = setInterval(() => this.emitTray(), 60_000);
      this.trayClock.unref();
    }
  }

  private emitInfo(): void {
    const info = this.info();
    this.forEachRenderer((r) => r.app.infoChanged(info));
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

/** A request for a one-time code is no failure; a lost connection is worth a look. */
function logLevel(state: EngineState): 'info' | 'warn' | 'error' {
  if (state.kind === 'reconnecting') return 'warn';
  if (state.kind !== 'error') return 'info';
  return state.reason === 'otp-required' ? 'warn' : 'error';
}

function sampleOf(stats: TunnelStats): TrafficSample {
  return {
    at: stats.at,
    inPerSecond: stats.bytesInPerSecond,
    outPerSecond: stats.bytesOutPerSecond,
    rttMs: stats.rttMs,
  };
}

/** The log's line for a state change (English: the log is for support). */
function describeState(state: EngineState, username: string | null, now: number): string {
  const en = MAIN_MESSAGES.en;
  switch (state.kind) {
    case 'disconnected':
      return 'Disconnected.';
    case 'connecting': {
      const gw = gatewayLabel(state.gateway);
      switch (state.phase) {
        case 'resolving':
          return `Connecting to ${gw}${username ? ` as ${username}` : ''}: looking up the gateway.`;
        case 'securing':
          return `Opening a secure connection to ${gw}.`;
        case 'signing-in':
          return `Signing in to ${gw}.`;
        case 'configuring':
          return 'Signed in; setting up the network (tunnel device, routes, DNS).';
      }
      break;
    }
    case 'connected': {
      const t = state.tunnel;
      const what = t.splitTunnel ? `split tunnel to ${t.routes.join(', ')}` : 'full tunnel';
      return `Connected to ${gatewayLabel(state.gateway)}${state.intranetIp ? `, intranet address ${state.intranetIp}` : ''} (${what}).`;
    }
    case 'reconnecting': {
      const wait = Math.max(0, Math.round((state.nextAttemptAt - now) / 100) / 10);
      return `Connection to ${gatewayLabel(state.gateway)} lost: ${en.cause[state.cause]} (${state.reason}); attempt ${state.attempt} in ${wait} s.`;
    }
    case 'error':
      if (state.reason === 'otp-required')
        return `${gatewayLabel(state.gateway)} asks for a one-time code (otp-required): ${state.message}`;
      return `Connection to ${gatewayLabel(state.gateway)} failed (${state.reason}${state.cause ? `, ${state.cause}` : ''}): ${state.message}`;
  }
}
