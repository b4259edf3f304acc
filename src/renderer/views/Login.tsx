import { useId, useState, type FormEvent } from 'react';
import type { Profile } from '../../shared/ipc-schema.js';
import { api, errorText } from '../api.js';
import { normaliseGatewayAddress } from '../format.js';
import { useI18n } from '../i18n/context.js';
import type { AppModel } from '../model.js';
import { CertificatePanel } from '../parts/CertificatePanel.js';
import { ConnectSteps } from '../parts/ConnectSteps.js';
import { ErrorBanner } from '../parts/ErrorBanner.js';

interface Props {
  model: AppModel;
  profile: Profile | null;
  remembered: boolean;
  /**
   * Told when the form must stay up (an attempt from it runs, or it has something to say
   * after the tunnel came up) and when it may go.
   */
  onHold(held: boolean): void;
}

export function Login({ model, profile, remembered, onHold }: Props) {
  const { m } = useI18n();
  const id = useId();
  const [gateway, setGateway] = useState(profile ? new URL(profile.gatewayUrl).host : '');
  const [username, setUsername] = useState(profile?.username ?? '');
  const [password, setPassword] = useState('');
  const [otp, setOtp] = useState('');
  const [remember, setRemember] = useState(remembered);
  const [submitting, setSubmitting] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  /** The tunnel is up but the keychain refused the password: what it said. */
  const [notSaved, setNotSaved] = useState<{ profileId: string; reason: string } | null>(null);

  const state = model.tunnel.state;
  const engineError = state.kind === 'error' && !submitting ? state : null;
  const certificateError =
    engineError?.reason === 'untrusted-certificate' || engineError?.reason === 'certificate-changed'
      ? engineError
      : null;
  const phase = submitting && state.kind === 'connecting' ? state.phase : null;
  const askOtp = engineError?.reason === 'otp-required' || otp !== '';
  const gatewayUrl = normaliseGatewayAddress(gateway);
  const samePasswordSaved =
    remembered &&
    profile !== null &&
    gatewayUrl === profile.gatewayUrl &&
    username === profile.username;

  async function attempt() {
    setProblem(null);
    if (!gatewayUrl) return setProblem(m.login.invalidGateway);
    if (password === '' && !samePasswordSaved) return setProblem(m.login.missingPassword);
    if (askOtp && !/^[0-9]{6,8}$/.test(otp)) return setProblem(m.login.invalidOtp);
    setSubmitting(true);
    onHold(true);
    let keepHeld = false;
    try {
      const result = await api().tunnel.login({
        gatewayUrl,
        username: username.trim(),
        password,
        remember,
        ...(askOtp ? { otp } : {}),
      });
      setOtp('');
      if (result.passwordNotSaved !== null) {
        setNotSaved({ profileId: result.profile.id, reason: result.passwordNotSaved });
        keepHeld = true;
      }
    } catch (err) {
      setProblem(errorText(err, m.controllerErrors));
    } finally {
      setSubmitting(false);
      if (!keepHeld) onHold(false);
    }
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    void attempt();
  }

  async function cancel() {
    try {
      await api().tunnel.disconnect();
    } catch (err) {
      setProblem(errorText(err, m.controllerErrors));
    }
  }

  async function trustAndConnect(pin: string) {
    if (!profile) return;
    try {
      await api().profiles.save({ ...profile, pin });
    } catch (err) {
      return setProblem(errorText(err, m.controllerErrors));
    }
    await attempt();
  }

  async function retrySave() {
    if (!notSaved) return;
    try {
      await api().profiles.rememberPassword({ id: notSaved.profileId, password });
      setNotSaved(null);
      onHold(false);
    } catch (err) {
      setNotSaved({ ...notSaved, reason: errorText(err, m.controllerErrors) });
    }
  }

  function continueWithoutSaving() {
    setNotSaved(null);
    onHold(false);
  }

  const errorId = `${id}-error`;
  const hasError = problem !== null || engineError !== null;

  return (
    <section className="view login" aria-labelledby={`${id}-title`}>
      <h1 id={`${id}-title`}>{m.login.title}</h1>
      <p className="muted">{m.login.intro}</p>

      {notSaved && (
        <div className="banner banner-warning" role="alert">
          <p className="banner-lead">{m.keychain.notSaved(notSaved.reason)}</p>
          <div className="actions">
            <button
              type="button"
              className="button button-secondary"
              onClick={() => void retrySave()}
            >
              {m.keychain.retry}
            </button>
            <button type="button" className="button button-primary" onClick={continueWithoutSaving}>
              {m.keychain.continue}
            </button>
          </div>
        </div>
      )}
      {problem && (
        <div className="banner banner-danger" role="alert" id={errorId}>
          {problem}
        </div>
      )}
      {certificateError && (
        <CertificatePanel
          state={certificateError}
          previousPin={profile?.pin}
          busy={submitting}
          onTrust={trustAndConnect}
        />
      )}
      {engineError && !certificateError && !problem && (
        <ErrorBanner state={engineError} installKind={model.info.installKind} id={errorId} />
      )}

      <form className="card form" onSubmit={submit} noValidate aria-busy={submitting}>
        <fieldset className="form-fields" disabled={submitting || notSaved !== null}>
          <div className="field">
            <label htmlFor={`${id}-gateway`}>{m.login.gateway}</label>
            <input
              id={`${id}-gateway`}
              name="gateway"
              type="text"
              inputMode="url"
              autoComplete="url"
              spellCheck={false}
              required
              value={gateway}
              onChange={(e) => setGateway(e.target.value)}
              aria-describedby={`${id}-gateway-hint`}
            />
            <p className="hint" id={`${id}-gateway-hint`}>
              {m.login.gatewayHint}
            </p>
          </div>
          <div className="field">
            <label htmlFor={`${id}-user`}>{m.login.username}</label>
            <input
              id={`${id}-user`}
              name="username"
              type="text"
              autoComplete="username"
              spellCheck={false}
              required
              value={username}
              onChange={(e) => setUsername(e.target.value)}
            />
          </div>
          <div className="field">
            <label htmlFor={`${id}-password`}>{m.login.password}</label>
            <input
              id={`${id}-password`}
              name="password"
              type="password"
              autoComplete="current-password"
              required={!samePasswordSaved}
              placeholder={samePasswordSaved ? m.login.passwordSaved : undefined}
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              aria-invalid={engineError?.reason === 'bad-credentials' || undefined}
              aria-describedby={hasError ? errorId : undefined}
            />
          </div>
          {askOtp && (
            <div className="field">
              <label htmlFor={`${id}-otp`}>{m.login.otp}</label>
              <input
                id={`${id}-otp`}
                name="otp"
                type="text"
                inputMode="numeric"
                autoComplete="one-time-code"
                pattern="[0-9]{6,8}"
                maxLength={8}
                required
                autoFocus
                value={otp}
                onChange={(e) => setOtp(e.target.value.replace(/\D/g, ''))}
                aria-describedby={`${id}-otp-hint`}
              />
              <p className="hint" id={`${id}-otp-hint`}>
                {m.login.otpHint}
              </p>
            </div>
          )}
          <div className="field checkbox">
            <input
              id={`${id}-remember`}
              name="remember"
              type="checkbox"
              checked={remember}
              onChange={(e) => setRemember(e.target.checked)}
            />
            <label htmlFor={`${id}-remember`}>{m.login.remember}</label>
          </div>
        </fieldset>
        {submitting ? (
          <div className="attempt" role="status" aria-live="polite">
            <ConnectSteps phase={phase} />
            <button
              type="button"
              className="button button-secondary button-large"
              onClick={() => void cancel()}
            >
              {m.login.cancel}
            </button>
          </div>
        ) : (
          <button
            type="submit"
            className="button button-primary button-large"
            disabled={notSaved !== null}
          >
            {m.login.submit}
          </button>
        )}
      </form>
    </section>
  );
}
