import { useId, useState, type FormEvent } from 'react';
import type { Preferences, Profile } from '../../shared/ipc-schema.js';
import { api, errorText } from '../api.js';
import { normaliseGatewayAddress } from '../format.js';
import { useI18n } from '../i18n/context.js';
import type { AppModel } from '../model.js';

export function Settings({ model }: { model: AppModel }) {
  const { m } = useI18n();
  const id = useId();
  const [problem, setProblem] = useState<string | null>(null);

  async function run(action: () => Promise<unknown>) {
    setProblem(null);
    try {
      await action();
    } catch (err) {
      setProblem(errorText(err, m.controllerErrors));
    }
  }
  // Shown at once while main applies it, so a checkbox does not flicker back; dropped when main
  // has answered (its notification carries the real value, also after a refusal).
  const [pending, setPending] = useState<Partial<Preferences>>({});
  const update = (patch: Partial<Preferences>) => {
    setPending((p) => ({ ...p, ...patch }));
    void run(() => api().preferences.update(patch)).finally(() =>
      setPending((p) => {
        const rest = { ...p };
        for (const key of Object.keys(patch)) delete rest[key as keyof Preferences];
        return rest;
      }),
    );
  };
  const prefs = { ...model.prefs, ...pending };

  return (
    <section className="view settings" aria-labelledby={`${id}-title`}>
      <h1 id={`${id}-title`}>{m.settings.title}</h1>
      {problem && (
        <div className="banner banner-danger" role="alert">
          {problem}
        </div>
      )}

      <fieldset className="card group">
        <legend>{m.settings.startup}</legend>
        <Toggle
          label={m.settings.startAtLogin}
          checked={prefs.startAtLogin}
          onChange={(v) => update({ startAtLogin: v })}
        />
        <Toggle
          label={m.settings.connectAtStart}
          hint={m.settings.connectAtStartHint}
          checked={prefs.connectAtStart}
          onChange={(v) => update({ connectAtStart: v })}
        />
        <Toggle
          label={m.settings.startHidden}
          checked={prefs.startHidden && model.info.trayAvailable}
          disabled={!model.info.trayAvailable}
          {...(model.info.trayAvailable ? {} : { hint: m.settings.noTray })}
          onChange={(v) => update({ startHidden: v })}
        />
      </fieldset>

      <fieldset className="card group">
        <legend>{m.settings.appearance}</legend>
        <div className="field inline">
          <label htmlFor={`${id}-lang`}>{m.settings.language}</label>
          <select
            id={`${id}-lang`}
            value={prefs.language}
            onChange={(e) => update({ language: e.target.value as Preferences['language'] })}
          >
            <option value="system">{m.settings.languageSystem}</option>
            <option value="en" lang="en">
              English
            </option>
            <option value="fr" lang="fr">
              Français
            </option>
          </select>
        </div>
        <div className="field inline">
          <label htmlFor={`${id}-theme`}>{m.settings.theme}</label>
          <select
            id={`${id}-theme`}
            value={prefs.theme}
            onChange={(e) => update({ theme: e.target.value as Preferences['theme'] })}
          >
            <option value="system">{m.settings.themeSystem}</option>
            <option value="light">{m.settings.themeLight}</option>
            <option value="dark">{m.settings.themeDark}</option>
          </select>
        </div>
      </fieldset>

      <Profiles model={model} run={run} />

      <fieldset className="card group about">
        <legend>{m.about.title}</legend>
        <p className="about-version">{m.about.version(model.info.version)}</p>
        <p className="muted">{m.about.installKind[model.info.installKind]}</p>
      </fieldset>
    </section>
  );
}

function Toggle(props: {
  label: string;
  hint?: string;
  checked: boolean;
  disabled?: boolean;
  onChange(value: boolean): void;
}) {
  const id = useId();
  return (
    <div className="field checkbox">
      <input
        id={id}
        type="checkbox"
        checked={props.checked}
        disabled={props.disabled}
        onChange={(e) => props.onChange(e.target.checked)}
        aria-describedby={props.hint ? `${id}-hint` : undefined}
      />
      <label htmlFor={id}>{props.label}</label>
      {props.hint && (
        <p className="hint" id={`${id}-hint`}>
          {props.hint}
        </p>
      )}
    </div>
  );
}

function Profiles({
  model,
  run,
}: {
  model: AppModel;
  run(action: () => Promise<unknown>): Promise<void>;
}) {
  const { m } = useI18n();
  const [editing, setEditing] = useState<Profile | 'new' | null>(null);
  const { profiles, activeId, remembered } = model.profiles;
  const tunnelUp =
    model.tunnel.state.kind !== 'disconnected' && model.tunnel.state.kind !== 'error';

  return (
    <fieldset className="card group">
      <legend>{m.settings.profiles}</legend>
      <p className="muted">{m.settings.profilesIntro}</p>
      {profiles.length === 0 && <p>{m.settings.noProfiles}</p>}
      <ul className="profile-list">
        {profiles.map((p) => (
          <li key={p.id} className="profile">
            <div className="profile-head">
              <div>
                <p className="profile-name">
                  {p.name} {p.id === activeId && <span className="tag">{m.settings.current}</span>}
                </p>
                <p className="muted">
                  {p.username} @ {new URL(p.gatewayUrl).host} ·{' '}
                  {remembered.includes(p.id)
                    ? m.settings.passwordSaved
                    : m.settings.passwordNotSaved}
                </p>
              </div>
              <div className="actions">
                {p.id !== activeId && (
                  <button
                    type="button"
                    className="button button-secondary"
                    onClick={() => void run(() => api().profiles.select({ id: p.id }))}
                  >
                    {tunnelUp ? m.settings.switchTo : m.settings.use}
                  </button>
                )}
                <button
                  type="button"
                  className="button button-secondary"
                  onClick={() => setEditing(p)}
                  aria-label={`${m.settings.edit} ${p.name}`}
                >
                  {m.settings.edit}
                </button>
                {remembered.includes(p.id) && (
                  <button
                    type="button"
                    className="button button-secondary"
                    onClick={() => void run(() => api().profiles.forgetPassword({ id: p.id }))}
                  >
                    {m.settings.forget}
                  </button>
                )}
                <button
                  type="button"
                  className="button button-danger-outline"
                  onClick={() => void run(() => api().profiles.remove({ id: p.id }))}
                  aria-label={`${m.settings.remove} ${p.name}`}
                >
                  {m.settings.remove}
                </button>
              </div>
            </div>
            {editing !== null && editing !== 'new' && editing.id === p.id && (
              <ProfileForm profile={p} onDone={() => setEditing(null)} run={run} />
            )}
          </li>
        ))}
      </ul>
      {editing === 'new' ? (
        <ProfileForm profile={null} onDone={() => setEditing(null)} run={run} />
      ) : (
        <button type="button" className="button button-secondary" onClick={() => setEditing('new')}>
          {m.settings.add}
        </button>
      )}
    </fieldset>
  );
}

function ProfileForm(props: {
  profile: Profile | null;
  onDone(): void;
  run(action: () => Promise<unknown>): Promise<void>;
}) {
  const { m } = useI18n();
  const id = useId();
  const p = props.profile;
  const [name, setName] = useState(p?.name ?? '');
  const [gateway, setGateway] = useState(p ? new URL(p.gatewayUrl).host : '');
  const [username, setUsername] = useState(p?.username ?? '');
  const [caPath, setCaPath] = useState(p?.caPath ?? '');
  const [pin, setPin] = useState(p?.pin ?? '');
  const [invalid, setInvalid] = useState<string | null>(null);

  function submit(event: FormEvent) {
    event.preventDefault();
    const gatewayUrl = normaliseGatewayAddress(gateway);
    if (!gatewayUrl) return setInvalid(m.login.invalidGateway);
    setInvalid(null);
    void props.run(async () => {
      await api().profiles.save({
        ...(p ? { id: p.id } : {}),
        name: name.trim() || new URL(gatewayUrl).host,
        gatewayUrl,
        username: username.trim(),
        ...(caPath.trim() ? { caPath: caPath.trim() } : {}),
        ...(pin.trim() ? { pin: pin.trim() } : {}),
      });
      props.onDone();
    });
  }

  const field = (
    key: string,
    label: string,
    value: string,
    set: (v: string) => void,
    hint?: string,
  ) => (
    <div className="field">
      <label htmlFor={`${id}-${key}`}>{label}</label>
      <input
        id={`${id}-${key}`}
        type="text"
        spellCheck={false}
        value={value}
        onChange={(e) => set(e.target.value)}
        aria-describedby={hint ? `${id}-${key}-hint` : undefined}
      />
      {hint && (
        <p className="hint" id={`${id}-${key}-hint`}>
          {hint}
        </p>
      )}
    </div>
  );

  return (
    <form className="form profile-form" onSubmit={submit} noValidate>
      {invalid && (
        <p className="banner banner-danger" role="alert">
          {invalid}
        </p>
      )}
      {field('name', m.settings.name, name, setName)}
      {field('gateway', m.settings.gateway, gateway, setGateway)}
      {field('user', m.settings.username, username, setUsername)}
      {field('ca', m.settings.caPath, caPath, setCaPath, m.settings.caPathHint)}
      {field('pin', m.settings.pin, pin, setPin, m.settings.pinHint)}
      <div className="actions">
        <button type="submit" className="button button-primary">
          {m.settings.save}
        </button>
        <button type="button" className="button button-secondary" onClick={props.onDone}>
          {m.settings.cancel}
        </button>
      </div>
    </form>
  );
}
