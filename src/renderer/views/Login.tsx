import { useId, useState, type FormEvent } from 'react';
import type { Profile } from '../../shared/ipc-schema.js';
import { api, errorText } from '../api.js';
import { fingerprintIn, normaliseGatewayAddress } from '../format.js';
import { useI18n } from '../i18n/context.js';
import type { AppModel } from '../model.js';

interface Props {
  model: AppModel;
  profile: Profile | null;
  remembered: boolean;
  /** Told when a connection attempt from this form starts and ends. */
  onAttempt(active: boolean): void;
}

export function Login({ model, profile, remembered, onAttempt }: Props) {
  const { m } = useI18n();
  const id = useId();
  const [gateway, setGateway] = useState(profile ? new URL(profile.gatewayUrl).host : '');
  const [username, setUsername] = useState(profile?.username ?? '');
  const [password, setPassword] = useState('');
  const [otp, setOtp] = useState('');
  const [remember, setRemember] = useState(remembered);
  const [submitting, setSubmitting] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);

  const state = model.tunnel.state;
  const engineError = state.kind === 'error' && !submitting ? state : null;
  const askOtp = engineError?.reason === 'otp-required' || otp !== '';
  const gatewayUrl = normaliseGatewayAddress(gateway);
  const samePasswordSaved =
    remembered &&
    profile !== null &&
    gatewayUrl === profile.gatewayUrl &&
    username === profile.username;
  // The engine gives the fingerprint as a field; older engines only wrote it in the message.
  const fingerprint =
    engineError?.reason === 'untrusted-certificate'
      ? engineError.fingerprint
        ? `sha256:${engineError.fingerprint}`
        : fingerprintIn(engineError.message)
      : null;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setProblem(null);
    if (!gatewayUrl) return setProblem(m.login.invalidGateway);
    if (password === '' && !samePasswordSaved) return setProblem(m.login.missingPassword);
    if (askOtp && !/^[0-9]{6,8}$/.test(otp)) return setProblem(m.login.invalidOtp);
    setSubmitting(true);
    onAttempt(true);
    try {
      await api().tunnel.login({
        gatewayUrl,
        username: username.trim(),
        password,
        remember,
        ...(askOtp ? { otp } : {}),
      });
      setOtp('');
    } catch (err) {
      setProblem(errorText(err, m.controllerErrors));
    } finally {
      setSubmitting(false);
      onAttempt(false);
    }
  }

  async function trustFingerprint() {
    if (!profile || !fingerprint) return;
    try {
      await api().profiles.save({ ...profile, pin: fingerprint });
      setProblem(null);
    } catch (err) {
      setProblem(errorText(err, m.controllerErrors));
    }
  }

  const errorId = `${id}-error`;
  const hasError = problem !== null || engineError !== null;

  return (
    <section className="view login" aria-labelledby={`${id}-title`}>
      <h1 id={`${id}-title`}>{m.login.title}</h1>
      <p className="muted">{m.login.intro}</p>

      {hasError && (
        <div
          className={`banner ${engineError?.reason === 'otp-required' && !problem ? 'banner-warning' : 'banner-danger'}`}
          role="alert"
          id={errorId}
        >
          {problem ?? (engineError ? m.errors[engineError.reason] : null)}
          {fingerprint && (
            <div className="fingerprint">
              <p>{m.fingerprintIntro}</p>
              <code>{fingerprint}</code>
              <p>{m.fingerprintAdvice}</p>
              <button
                type="button"
                className="button button-secondary"
                onClick={() => void trustFingerprint()}
              >
                {m.login.trustFingerprint}
              </button>
            </div>
          )}
        </div>
      )}

      <form className="card form" onSubmit={(e) => void submit(e)} noValidate>
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
        <button type="submit" className="button button-primary button-large" disabled={submitting}>
          {submitting ? m.login.submitting : m.login.submit}
        </button>
      </form>
    </section>
  );
}
