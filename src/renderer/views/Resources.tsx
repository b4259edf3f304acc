import { useId, useMemo, useState } from 'react';
import type { AllowedResource } from '../../shared/protocol/session.js';
import { formatPorts } from '../format.js';
import { useI18n } from '../i18n/context.js';
import type { AppModel } from '../model.js';

type PortLabels = { allPorts: string; pingOnly: string };

function matches(resource: AllowedResource, query: string, labels: PortLabels): boolean {
  const haystack = [
    resource.name,
    resource.address,
    formatPorts(resource.ports, labels, resource.protocols),
    ...resource.protocols,
  ]
    .join(' ')
    .toLowerCase();
  const q = query.trim().toLowerCase();
  if (q === '') return true;
  // A bare port number also matches a range that contains it.
  if (/^\d+$/.test(q)) {
    const port = Number(q);
    if (resource.ports.some((p) => p.from <= port && port <= p.to)) return true;
  }
  return q.split(/\s+/).every((word) => haystack.includes(word));
}

export function Resources({ model }: { model: AppModel }) {
  const { m } = useI18n();
  const id = useId();
  const [query, setQuery] = useState('');
  const all = model.tunnel.resources;
  const labels = useMemo(
    () => ({ allPorts: m.resources.allPorts, pingOnly: m.resources.pingOnly }),
    [m.resources.allPorts, m.resources.pingOnly],
  );
  const shown = useMemo(() => all.filter((r) => matches(r, query, labels)), [all, query, labels]);
  const connected = model.tunnel.state.kind === 'connected';

  return (
    <section className="view resources" aria-labelledby={`${id}-title`}>
      <h1 id={`${id}-title`}>{m.resources.title}</h1>
      <p className="muted">{m.resources.intro}</p>

      {!connected ? (
        <p className="card empty">{m.resources.notConnected}</p>
      ) : (
        <>
          <div className="toolbar">
            <label htmlFor={`${id}-search`} className="visually-hidden">
              {m.resources.search}
            </label>
            <input
              id={`${id}-search`}
              type="search"
              className="search"
              placeholder={m.resources.searchPlaceholder}
              value={query}
              onChange={(e) => setQuery(e.target.value)}
              aria-controls={`${id}-table`}
            />
            <p className="muted count" role="status" aria-live="polite">
              {m.resources.count(shown.length, all.length)}
            </p>
          </div>
          {all.length === 0 ? (
            <p className="card empty">{m.resources.empty}</p>
          ) : shown.length === 0 ? (
            <p className="card empty">{m.resources.noMatch(query)}</p>
          ) : (
            <div className="card table-wrap">
              <table id={`${id}-table`}>
                <caption className="visually-hidden">{m.resources.title}</caption>
                <thead>
                  <tr>
                    <th scope="col">{m.resources.name}</th>
                    <th scope="col">{m.resources.address}</th>
                    <th scope="col">{m.resources.ports}</th>
                    <th scope="col">{m.resources.protocols}</th>
                  </tr>
                </thead>
                <tbody>
                  {shown.map((r) => (
                    <tr key={`${r.name}|${r.address}`}>
                      <th scope="row">{r.name}</th>
                      <td className="mono">{r.address}</td>
                      <td className="mono">{formatPorts(r.ports, labels, r.protocols)}</td>
                      <td>
                        <ul className="chips">
                          {r.protocols.map((p) => (
                            <li key={p} className={`chip chip-${p}`}>
                              {p.toUpperCase()}
                            </li>
                          ))}
                        </ul>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </section>
  );
}
