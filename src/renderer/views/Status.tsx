import { useId, useState } from 'react';
import type { Profile } from '../../shared/ipc-schema.js';
import { api, errorText } from '../api.js';
import {
  formatBytes,
  formatDuration,
  formatMs,
  formatNumber,
  formatRate,
  formatTime,
} from '../format.js';
import { useNow } from '../hooks.js';
import { useI18n } from '../i18n/context.js';
import type { AppModel } from '../model.js';
import { ConnectSteps } from '../parts/ConnectSteps.js';
import { ErrorBanner } from '../parts/ErrorBanner.js';
import { TrafficGraph } from '../parts/TrafficGraph.js';
import { TunnelSummary } from '../parts/TunnelSummary.js';
import { hostOf, presentState } from '../presentation.js';

interface Props {
  model: AppModel;
  profile: Profile | null;
  onChangeAccount(): void;
}

export function Status({ model, profile, onChangeAccount }: Props) {
  const { m, lang } = useI18n();
  const id = useId();
  const { state, stats, history } = model.tunnel;
  const [problem, setProblem] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const now = useNow(state.kind === 'connected' || state.kind === 'reconnecting');

  const up =
    state.kind === 'connected' || state.kind === 'connecting' || state.kind === 'reconnecting';
  const gateway = state.kind === 'disconnected' ? (profile?.gatewayUrl ?? null) : state.gateway;
  const shown = presentState(state, m);
  // A profile named after its gateway (the default) names no organisation.
  const host = gateway ? hostOf(gateway) : '';
  const organisation = profile && profile.name !== host ? profile.name : null;

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
      <div className={`hero card tone-${shown.tone}`}>
        <div className="hero-state">
          <span className="hero-dot" aria-hidden="true" />
          <div>
            <p className="hero-label">{shown.label}</p>
            {gateway && <p className="muted">{hostOf(gateway)}</p>}
          </div>
        </div>
        <button
          type="button"
          className={`button button-large ${up ? (state.kind === 'connected' ? 'button-danger' : 'button-secondary') : 'button-primary'} hero-button`}
          onClick={() => void toggle()}
          disabled={pending && !up}
        >
          {buttonLabel}
        </button>
      </div>

      {state.kind === 'error' && <ErrorBanner state={state} installKind={model.info.installKind} />}
      {state.kind === 'reconnecting' && <Reconnecting state={state} now={now} />}
      {problem && (
        <div className="banner banner-danger" role="alert">
          {problem}
        </div>
      )}
      {state.kind === 'connecting' && (
        <div className="card" role="status" aria-live="polite">
          <ConnectSteps phase={state.phase} />
        </div>
      )}

      {state.kind === 'connected' && (
        <TunnelSummary tunnel={state.tunnel} organisation={organisation} gateway={host} />
      )}
      {(state.kind === 'connected' || state.kind === 'reconnecting') && (
        <TrafficGraph history={history} now={now} />
      )}

      {state.kind === 'connected' || state.kind === 'reconnecting' ? (
        <dl className="card details">
          <div>
            <dt>{m.status.user}</dt>
            <dd>{profile?.username}</dd>
          </div>
          {state.kind === 'connected' && (
            <>
              <div>
                <dt>{m.status.intranetIp}</dt>
                <dd className={state.intranetIp ? 'mono' : undefined}>
                  {state.intranetIp ?? m.status.none}
                </dd>
              </div>
              <div>
                <dt>{m.status.connectedFor}</dt>
                <dd>
                  {m.status.durationSince(
                    formatDuration(now - state.since),
                    formatTime(state.since, lang),
                  )}
                </dd>
              </div>
            </>
          )}
          {stats && (
            <>
              <div>
                <dt>{m.status.received}</dt>
                <dd>
                  {formatBytes(stats.bytesIn, lang, m)}{' '}
                  <span className="muted">{formatRate(stats.bytesInPerSecond, lang, m)}</span>
                </dd>
              </div>
              <div>
                <dt>{m.status.sent}</dt>
                <dd>
                  {formatBytes(stats.bytesOut, lang, m)}{' '}
                  <span className="muted">{formatRate(stats.bytesOutPerSecond, lang, m)}</span>
                </dd>
              </div>
              {stats.rttMs !== null && (
                <div>
                  <dt>{m.status.rtt}</dt>
                  <dd>{formatMs(stats.rttMs, lang, m)}</dd>
                </div>
              )}
              <div>
                <dt>{m.status.flows}</dt>
                <dd>
                  {m.status.flowsDetail(
                    formatNumber(stats.flows.tcp + stats.flows.udp + stats.flows.icmp, lang),
                    stats.flows.tcp,
                    stats.flows.udp,
                    stats.flows.icmp,
                  )}
                </dd>
              </div>
            </>
          )}
        </dl>
      ) : (
        state.kind !== 'connecting' && (
          <div className="card idle">
            {profile && (
              <dl className="facts">
                <div>
                  <dt>{m.status.profile}</dt>
                  <dd>{profile.name}</dd>
                </div>
                <div>
                  <dt>{m.status.user}</dt>
                  <dd>{profile.username}</dd>
                </div>
              </dl>
            )}
            <p className="muted">{m.status.idleHint}</p>
            <button type="button" className="link-button" onClick={onChangeAccount}>
              {m.status.changeAccount}
            </button>
          </div>
        )
      )}
    </section>
  );
}

type ReconnectingState = Extract<AppModel['tunnel']['state'], { kind: 'reconnecting' }>;

/** Why the connection was lost and when the next attempt starts, counting down. */
function Reconnecting({ state, now }: { state: ReconnectingState; now: number }) {
  const { m } = useI18n();
  // `now` ticks every second (and redraws this); it may be up to a second old when the state
  // arrives, so the clock itself is read.
  const seconds = Math.ceil((state.nextAttemptAt - Math.max(now, Date.now())) / 1000);
  return (
    <div className="banner banner-warning">
      <p className="banner-lead" role="status">
        <strong>{m.status.connectionLost}</strong> {m.causes[state.cause]}
      </p>
      {/* The countdown changes every second: shown, but not read out each time. */}
      <p aria-hidden="true">
        {seconds > 0
          ? m.status.nextAttempt(state.attempt, seconds)
          : m.status.attemptNow(state.attempt)}
      </p>
    </div>
  );
}
