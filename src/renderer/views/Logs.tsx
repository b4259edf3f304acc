import { useEffect, useId, useRef } from 'react';
import { api } from '../api.js';
import { formatTime } from '../format.js';
import { useI18n } from '../i18n/context.js';
import type { AppModel } from '../model.js';

export function Logs({ model, onCleared }: { model: AppModel; onCleared(): void }) {
  const { m, lang } = useI18n();
  const id = useId();
  const end = useRef<HTMLLIElement>(null);
  const count = model.logs.length;

  useEffect(() => {
    end.current?.scrollIntoView({ block: 'nearest' });
  }, [count]);

  async function clear() {
    await api().logs.clear();
    onCleared();
  }

  return (
    <section className="view logs" aria-labelledby={`${id}-title`}>
      <div className="view-header">
        <div>
          <h1 id={`${id}-title`}>{m.logs.title}</h1>
          <p className="muted">{m.logs.intro}</p>
        </div>
        <button
          type="button"
          className="button button-secondary"
          onClick={() => void clear()}
          disabled={count === 0}
        >
          {m.logs.clear}
        </button>
      </div>
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
