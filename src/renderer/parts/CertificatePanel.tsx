// The gateway's certificate, when it is not trusted (first use) or has changed since it was
// trusted (what an interception looks like). Both show what the certificate is and why it is
// refused, and trust it and connect in one step; the changed case is louder (red, a warning
// first, the old and new fingerprints side by side) and asks for a confirmation before the
// button works.
import { useId, useState } from 'react';
import { useI18n } from '../i18n/context.js';
import { formatDate, fingerprintIn } from '../format.js';
import type { ErrorState } from '../presentation.js';

interface Props {
  state: ErrorState;
  /** The pin saved in the profile ("sha256:…" or "spki-sha256:…"), for a changed certificate. */
  previousPin: string | undefined;
  /** Saves `pin` in the profile and connects. */
  onTrust(pin: string): Promise<void>;
  busy: boolean;
}

/** The pin to save: the public key when known (it survives a renewal), else the certificate. */
export function pinFor(state: ErrorState): string | null {
  if (state.certificate?.spkiSha256) return `spki-sha256:${state.certificate.spkiSha256}`;
  const sha256 = state.certificate?.sha256 ?? state.fingerprint;
  // Older engines only wrote the fingerprint into the message.
  return sha256 ? `sha256:${sha256}` : fingerprintIn(state.message);
}

export function CertificatePanel({ state, previousPin, onTrust, busy }: Props) {
  const { m, lang } = useI18n();
  const id = useId();
  const [confirmed, setConfirmed] = useState(false);
  const changed = state.reason === 'certificate-changed';
  const cert = state.certificate;
  const pin = pinFor(state);
  const fingerprint = cert?.sha256 ?? state.fingerprint ?? pin?.replace(/^sha256:/, '') ?? '';
  const c = m.certificate;

  return (
    <section
      className={`banner certificate ${changed ? 'banner-critical' : 'banner-warning'}`}
      role="alert"
      aria-labelledby={`${id}-title`}
    >
      <h2 id={`${id}-title`}>
        {changed && (
          <span className="critical-mark" aria-hidden="true">
            !
          </span>
        )}
        {changed ? c.changedTitle : c.untrustedTitle}
      </h2>
      <p>{m.errors[state.reason]}</p>
      {changed && <p className="critical-warning">{c.changedWarning}</p>}
      <dl className="facts certificate-facts">
        {cert && (
          <>
            <div>
              <dt>{c.why}</dt>
              <dd>{c.problem[cert.problem]}</dd>
            </div>
            <div>
              <dt>{c.subject}</dt>
              <dd>{cert.subject}</dd>
            </div>
            <div>
              <dt>{c.issuer}</dt>
              <dd>{cert.issuer}</dd>
            </div>
            <div>
              <dt>{c.validity}</dt>
              <dd>
                {c.validRange(formatDate(cert.validFrom, lang), formatDate(cert.validTo, lang))}
              </dd>
            </div>
          </>
        )}
        {changed && previousPin && (
          <div className="fact-previous">
            <dt>{c.previous}</dt>
            <dd>
              <code>
                {previousPin.startsWith('spki-sha256:')
                  ? c.previousKey(previousPin.slice('spki-sha256:'.length))
                  : c.previousCertificate(previousPin.replace(/^sha256:/, ''))}
              </code>
            </dd>
          </div>
        )}
        <div>
          <dt id={`${id}-fingerprint`}>{c.fingerprint}</dt>
          <dd>
            <code aria-labelledby={`${id}-fingerprint`} className="fingerprint">
              {fingerprint}
            </code>
          </dd>
        </div>
        {cert?.spkiSha256 && (
          <div>
            <dt>{c.publicKey}</dt>
            <dd>
              <code>{cert.spkiSha256}</code>
            </dd>
          </div>
        )}
      </dl>
      <p>{c.advice}</p>
      {changed && (
        <div className="field checkbox">
          <input
            id={`${id}-confirm`}
            type="checkbox"
            checked={confirmed}
            onChange={(e) => setConfirmed(e.target.checked)}
          />
          <label htmlFor={`${id}-confirm`}>{c.confirmChange}</label>
        </div>
      )}
      {pin && (
        <button
          type="button"
          className={`button ${changed ? 'button-danger' : 'button-primary'}`}
          disabled={busy || (changed && !confirmed)}
          onClick={() => void onTrust(pin)}
        >
          {changed ? c.trustNewAndConnect : c.trustAndConnect}
        </button>
      )}
    </section>
  );
}
