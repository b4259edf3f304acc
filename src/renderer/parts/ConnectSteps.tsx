// The connection's phases as a checklist: done, in progress, to do. Shown while connecting,
// so a user waiting on an unreachable gateway sees where it is stuck.
import { CONNECT_PHASES, type ConnectPhase } from '../../main/engine/types.js';
import { useI18n } from '../i18n/context.js';

export function ConnectSteps({ phase }: { phase: ConnectPhase | null }) {
  const { m } = useI18n();
  const current = phase ? CONNECT_PHASES.indexOf(phase) : 0;
  return (
    <ol className="steps" aria-label={m.phases.label}>
      {CONNECT_PHASES.map((p, i) => {
        const status = i < current ? 'done' : i === current ? 'current' : 'pending';
        return (
          <li
            key={p}
            className={`step step-${status}`}
            aria-current={status === 'current' ? 'step' : undefined}
          >
            <span className="step-mark" aria-hidden="true" />
            <span className="step-label">{m.phases[p]}</span>
            <span className="visually-hidden"> ({m.phases[status]})</span>
          </li>
        );
      })}
    </ol>
  );
}
