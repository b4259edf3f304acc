import { useEffect, useId, useState } from 'react';
import type { Profile } from '../../shared/ipc-schema.js';
import { api, errorText } from '../api.js';
import { formatBytes, formatDuration, formatNumber, formatRate, formatTime } from '../format.js';
import { useI18n } from '../i18n/context.js';
import type { AppModel } from '../model.js';

interface Props {
  model: AppModel;
  profile: Profile | null;
  onChangeAccount(): void;
}

function useNow(active: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [active]);
  return now;
}

export function Status({ model, profile, onChangeAccount }: Props) {
  const { m, lang } = useI18n();
  const id = useId();
  const { state, stats } = model.tunnel;
  const [problem, setProblem] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const now = useNow(state.kind === 'connected');

  const up =
    state.kind === 'connected' || state.kind === 'connecting' || state.kind === 'reconnecting';
  const gateway = state.kind === 'disconnected' ? (profile?.gatewayUrl ?? null) : state.gateway;
  const dash = '—';

  async function toggle() {
    setProblem(null);
    setPending(true);
    try {
      if (up) await api().tunnel.disconnect();
      else await api().tunnel.connect(null);
    } catch (err) {
      setProblem(errorText(err, m.controllerErrors));
    } finally {
      setPending(false);
    }
  }

  const buttonLabel =
    state.kind === 'connected' ? m.status.disconnect : up ? m.status.cancel : m.status.connect;

  return (
    <section className="view status" aria-labelledby={`${id}-title`}>
      <h1 id={`${id}-title`} className="visually-hidden">
        {m.status.title}
      </h1>
      <div className={`hero card state-${state.kind}`}>
        <div className="hero-state">
          <span className="hero-dot" aria-hidden="true" />
          <div>
            <p className="hero-label">{m.state[state.kind]}</p>
            {gateway && <p className="muted">{new URL(gateway).host}</p>}
          </div>
        </div>
        <button
          type="button"
          className={`button button-large ${up ? 'button-danger' : 'button-primary'} hero-button`}
          onClick={() => void toggle()}
          disabled={pending}
        >
          {buttonLabel}
        </button>
      </div>

      {state.kind === 'error' && (
        <div className="banner banner-danger" role="alert">
          {m.errors[state.reason]}
        </div>
      )}
      {state.kind === 'reconnecting' && (
        <div className="banner banner-warning" role="status">
          {m.status.reconnectReason(state.attempt, state.reason)}
        </div>
      )}
      {problem && (
        <div className="banner banner-danger" role="alert">
          {problem}
        </div>
      )}

      <dl className="card details">
        <div>
          <dt>{m.status.gateway}</dt>
          <dd>{gateway ? new URL(gateway).host : dash}</dd>
        </div>
        <div>
          <dt>{m.status.user}</dt>
          <dd>{profile?.username ?? dash}</dd>
        </div>
        <div>
          <dt>{m.status.intranetIp}</dt>
          <dd className={state.kind === 'connected' && state.intranetIp ? 'mono' : undefined}>
            {state.kind === 'connected' ? (state.intranetIp ?? m.status.none) : dash}
          </dd>
        </div>
        <div>
          <dt>{m.status.since}</dt>
          <dd>
            {state.kind === 'connected' ? (
              <>
                {formatTime(state.since, lang)}{' '}
                <span className="muted">
                  ({m.status.duration(formatDuration(now - state.since))})
                </span>
              </>
            ) : (
              dash
            )}
          </dd>
        </div>
        <div>
          <dt>{m.status.received}</dt>
          <dd>
            {stats ? (
              <>
                {formatBytes(stats.bytesIn, lang, m)}{' '}
                <span className="muted">{formatRate(stats.bytesInPerSecond, lang, m)}</span>
              </>
            ) : (
              dash
            )}
          </dd>
        </div>
        <div>
          <dt>{m.status.sent}</dt>
          <dd>
            {stats ? (
              <>
                {formatBytes(stats.bytesOut, lang, m)}{' '}
                <span className="muted">{formatRate(stats.bytesOutPerSecond, lang, m)}</span>
              </>
            ) : (
              dash
            )}
          </dd>
        </div>
        <div>
          <dt>{m.status.rtt}</dt>
          <dd>
            {stats?.rttMs != null ? `${formatNumber(stats.rttMs, lang)} ${m.units.ms}` : dash}
          </dd>
        </div>
        <div>
          <dt>{m.status.flows}</dt>
          <dd>
            {stats
              ? `${formatNumber(stats.flows.tcp + stats.flows.udp + stats.flows.icmp, lang)} (TCP ${stats.flows.tcp}, UDP ${stats.flows.udp}, ICMP ${stats.flows.icmp})`
              : dash}
          </dd>
        </div>
      </dl>

      {!up && (
        <p>
          <button type="button" className="link-button" onClick={onChangeAccount}>
            {m.status.changeAccount}
          </button>
        </p>
      )}
    </section>
  );
}
