import { useEffect, useState } from 'react';
import type { EngineState } from '../main/engine/types.js';
import { I18nContext, useI18n } from './i18n/context.js';
import { MESSAGES, languageOf, type Language } from './i18n/messages.js';
import { useAppModel, type AppModel } from './model.js';
import { presentState } from './presentation.js';
import { Login } from './views/Login.js';
import { Logs } from './views/Logs.js';
import { Resources } from './views/Resources.js';
import { Settings } from './views/Settings.js';
import { Status } from './views/Status.js';
import logo from '../../assets/icons/64x64.png';

type ViewId = 'connection' | 'resources' | 'settings' | 'logs';
const VIEWS: ViewId[] = ['connection', 'resources', 'settings', 'logs'];

export function App() {
  const [model, change] = useAppModel();
  const [view, setView] = useState<ViewId>('connection');
  const lang: Language = !model
    ? 'en'
    : model.prefs.language === 'system'
      ? languageOf(model.info.osLocale)
      : model.prefs.language;

  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);
  useEffect(() => {
    const theme = model?.prefs.theme ?? 'system';
    if (theme === 'system') delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = theme;
  }, [model?.prefs.theme]);

  if (!model) return <div className="loading" aria-busy="true" />;
  const m = MESSAGES[lang];

  return (
    <I18nContext.Provider value={{ lang, m }}>
      <div className="shell">
        <aside className="sidebar">
          <div className="sidebar-inner">
            <div className="brand">
              <img src={logo} alt="" width={32} height={32} />
              <span>{m.appName}</span>
            </div>
            <nav aria-label={m.nav.label}>
              <ul>
                {VIEWS.map((id) => (
                  <li key={id}>
                    <button
                      type="button"
                      className="nav-item"
                      aria-current={view === id ? 'page' : undefined}
                      onClick={() => setView(id)}
                    >
                      {m.nav[id]}
                      {id === 'resources' && model.tunnel.resources.length > 0 && (
                        <span className="badge">{model.tunnel.resources.length}</span>
                      )}
                    </button>
                  </li>
                ))}
              </ul>
            </nav>
            <StatePill state={model.tunnel.state} />
          </div>
        </aside>
        <main className="content" id="main">
          {model.info.settingsProblem && <SettingsProblem model={model} />}
          {view === 'connection' && <Connection model={model} />}
          {view === 'resources' && <Resources model={model} />}
          {view === 'settings' && <Settings model={model} />}
          {view === 'logs' && (
            <Logs model={model} onCleared={() => change((x) => ({ ...x, logs: [] }))} />
          )}
        </main>
      </div>
    </I18nContext.Provider>
  );
}

function StatePill({ state }: { state: EngineState }) {
  const { m } = useI18n();
  const { label, tone } = presentState(state, m);
  return (
    <p className={`state-pill tone-${tone}`} role="status" aria-live="polite">
      <span className="dot" aria-hidden="true" />
      {label}
    </p>
  );
}

function SettingsProblem({ model }: { model: AppModel }) {
  const { m } = useI18n();
  const p = model.info.settingsProblem;
  if (!p) return null;
  return (
    <div className="banner banner-warning" role="alert">
      {m.settings.settingsProblem(p.path, p.reason, p.backupPath)}
    </div>
  );
}

/** Login when there is nothing to connect with (or the gateway wants new input), else Status. */
function Connection({ model }: { model: AppModel }) {
  const [editing, setEditing] = useState(false);
  // The login form stays up during its own attempt, so that an "otp-required" or "wrong
  // password" answer comes back to the form as the user filled it, and after it when it has
  // something to say (the keychain refused the password).
  const [held, setHeld] = useState(false);
  const { state } = model.tunnel;
  const active = model.profiles.profiles.find((p) => p.id === model.profiles.activeId) ?? null;
  const remembered = active !== null && model.profiles.remembered.includes(active.id);
  const busy =
    state.kind === 'connected' || state.kind === 'connecting' || state.kind === 'reconnecting';
  const needsInput =
    state.kind === 'error' &&
    (state.reason === 'bad-credentials' ||
      state.reason === 'otp-required' ||
      state.reason === 'untrusted-certificate' ||
      state.reason === 'certificate-changed');
  const showLogin = held || (!busy && (editing || !active || !remembered || needsInput));

  useEffect(() => {
    if (busy) setEditing(false);
  }, [busy]);

  return showLogin ? (
    <Login model={model} profile={active} remembered={remembered} onHold={setHeld} />
  ) : (
    <Status model={model} profile={active} onChangeAccount={() => setEditing(true)} />
  );
}
