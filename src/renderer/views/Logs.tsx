import { useEffect, useId, useRef, useState } from 'react';
import { api, errorText } from '../api.js';
import { formatTime } from '../format.js';
import { useI18n } from '../i18n/context.js';
import type { AppModel } from '../model.js';

export function Logs({ model, onCleared }: { model: AppModel; onCleared(): void }) {
  const { m, lang } = useI18n();
  const id = useId();
  const end = useRef<HTMLLIElement>(null);
  const count = model.logs.length;
  /** What the last button did, said once. */
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null);

  useEffect(() => {
    end.current?.scrollIntoView({ block: 'nearest' });
  }, [count]);

  async function run(action: () => Promise<string | null>) {
    setOutcome(null);
    try {
      const text = await action();
      if (text) setOutcome({ ok: true, text });
    } catch (err) {
      setOutcome({ ok: false, text: errorText(err, m.controllerErrors) });
    }
  }

  const copy = () =>
    run(async () => {
      await api().logs.copy();
      return m.logs.copied;
    });
  const save = () =>
    run(async () => {
      const saved = await api().logs.save();
      return saved ? m.logs.saved(saved.path) : null; // cancelled: nothing to say
    });
  const diagnostics = () =>
    run(async () => {
      await api().app.copyDiagnostics();
      return m.logs.diagnosticsCopied;
    });
  const clear = () =>
    run(async () => {
      await api().logs.clear();
      onCleared();
      return null;
    });

  return (
    <section className="view logs" aria-labelledby={`${id}-title`}>
      <div>
        <h1 id={`${id}-title`}>{m.logs.title}</h1>
        <p className="muted">{m.logs.intro}</p>
      </div>
      <div className="toolbar logs-toolbar">
        <div className="actions">
          <button
            type="button"
            className="button button-primary"
            onClick={() => void diagnostics()}
            aria-describedby={`${id}-diagnostics-hint`}
          >
            {m.logs.diagnostics}
          </button>
          <button
            type="button"
            className="button button-secondary"
            onClick={() => void copy()}
            disabled={count === 0}
          >
            {m.logs.copy}
          </button>
          <button
            type="button"
            className="button button-secondary"
            onClick={() => void save()}
            disabled={count === 0}
          >
            {m.logs.save}
          </button>
          <button
            type="button"
            className="button button-secondary"
            onClick={() => void clear()}
            disabled={count === 0}
          >
            {m.logs.clear}
          </button>
        </div>
      </div>
      <p className="hint" id={`${id}-diagnostics-hint`}>
        {m.logs.diagnosticsHint}
      </p>
      {outcome && (
        <p
          className={`banner ${outcome.ok ? 'banner-success' : 'banner-danger'}`}
          role={outcome.ok ? 'status' : 'alert'}
        >
          {outcome.text}
        </p>
      )}
      {count === 0 ? (
        <p className="card empty">{m.logs.empty}</p>
      ) : (
        <ol
          className="card log-list"
          role="log"
          aria-live="polite"
          tabIndex={0}
          aria-labelledby={`${id}-title`}
        >
          {model.logs.map((line, i) => (
            <li
              key={`${line.time}-${i}`}
              className={`log-${line.level}`}
              ref={i === count - 1 ? end : undefined}
            >
              <time dateTime={new Date(line.time).toISOString()}>
                {formatTime(line.time, lang)}
              </time>
              <span className={`level level-${line.level}`}>{m.logs.level[line.level]}</span>
              <span className="message">{line.message}</span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
