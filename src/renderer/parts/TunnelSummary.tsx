// What the tunnel does to the user's traffic: split or full, which networks, which names go to
// the intranet's DNS. A full tunnel is said first and plainly.
import { useId } from 'react';
import type { TunnelSummary as Summary } from '../../main/engine/types.js';
import { useI18n } from '../i18n/context.js';

export function TunnelSummary({
  tunnel,
  organisation,
  gateway,
}: {
  tunnel: Summary;
  /** The profile's name when the user gave one; null names no organisation. */
  organisation: string | null;
  gateway: string;
}) {
  const { m } = useI18n();
  const id = useId();
  const servers = m.tunnel.list(tunnel.dns.servers);
  const dns =
    tunnel.dns.scope === 'none'
      ? m.tunnel.dnsNone
      : tunnel.dns.scope === 'all' || tunnel.dns.domains.length === 0
        ? m.tunnel.dnsAll(servers)
        : m.tunnel.dnsDomains(m.tunnel.list(tunnel.dns.domains.map((d) => `.${d}`)), servers);
  return (
    <section
      className={`card tunnel ${tunnel.splitTunnel ? 'tunnel-split' : 'tunnel-full'}`}
      aria-labelledby={`${id}-title`}
    >
      <h2 id={`${id}-title`}>{m.tunnel.title}</h2>
      <p className="tunnel-lead">
        {tunnel.splitTunnel
          ? m.tunnel.split(organisation)
          : m.tunnel.full(organisation ?? m.tunnel.theGateway(gateway))}
      </p>
      <dl className="facts">
        <div>
          <dt>{m.tunnel.networks}</dt>
          <dd>
            {tunnel.splitTunnel ? (
              <ul className="chips">
                {tunnel.routes.map((route) => (
                  <li key={route} className="chip mono">
                    {route}
                  </li>
                ))}
              </ul>
            ) : (
              m.tunnel.allNetworks
            )}
          </dd>
        </div>
        <div>
          <dt>{m.tunnel.dns}</dt>
          <dd>{dns}</dd>
        </div>
      </dl>
    </section>
  );
}
