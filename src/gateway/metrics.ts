// Prometheus metrics, served on their own address so the tunnel port never exposes them.
import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export class GatewayMetrics {
  readonly registry = new Registry();
  readonly sessions = new Gauge({
    name: 'passerelle_sessions',
    help: 'Sessions alive',
    registers: [this.registry],
  });
  readonly flowsActive = new Gauge({
    name: 'passerelle_flows_active',
    help: 'Flows open now',
    labelNames: ['protocol'] as const,
    registers: [this.registry],
  });
  readonly flows = new Counter({
    name: 'passerelle_flows_total',
    help: 'Flows requested, by protocol and verdict (allow, deny, error)',
    labelNames: ['protocol', 'verdict'] as const,
    registers: [this.registry],
  });
  readonly bytes = new Counter({
    name: 'passerelle_bytes_total',
    help: 'Payload bytes carried, by protocol and direction (up = towards targets)',
    labelNames: ['protocol', 'direction'] as const,
    registers: [this.registry],
  });
  readonly logins = new Counter({
    name: 'passerelle_logins_total',
    help: 'Login attempts by result',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly loginFailures = new Counter({
    name: 'passerelle_login_failures_total',
    help: 'Failed logins by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly malformed = new Counter({
    name: 'passerelle_malformed_total',
    help: 'Malformed requests, capsules and packets dropped, by kind',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly flowSockets = new Gauge({
    name: 'passerelle_flow_sockets',
    help: 'Target sockets held by flows now (limits.flowsPerUser, limits.flowsTotal)',
    registers: [this.registry],
  });
  readonly refusedStreams = new Counter({
    name: 'passerelle_streams_refused_total',
    help: 'Streams refused for a limit',
    labelNames: ['limit'] as const,
    registers: [this.registry],
  });

  readonly connections = new Gauge({
    name: 'passerelle_connections',
    help: 'Client connections open now, before login (unauthenticated) and after',
    labelNames: ['state'] as const,
    registers: [this.registry],
  });
  readonly connectionsRefused = new Counter({
    name: 'passerelle_connections_refused_total',
    help: 'Client connections closed on arrival for a limit, by limit (system: accept failed)',
    labelNames: ['limit'] as const,
    registers: [this.registry],
  });
  readonly connectionsClosed = new Counter({
    name: 'passerelle_connections_closed_total',
    help:
      'Client connections closed by the gateway: TLS not finished in time (handshake-timeout), ' +
      'no whole request in time (request-timeout), room made for a newer one (evicted)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly requestsRefused = new Counter({
    name: 'passerelle_requests_refused_total',
    help: 'API requests answered 408, 429 or 503 for a limit, by limit',
    labelNames: ['limit'] as const,
    registers: [this.registry],
  });
  readonly requestsAbandoned = new Counter({
    name: 'passerelle_requests_abandoned_total',
    help: 'API requests whose client went away before the request was whole',
    registers: [this.registry],
  });
  readonly unauthenticatedBytes = new Gauge({
    name: 'passerelle_unauthenticated_buffered_bytes',
    help: 'Request bytes held for requests without a valid session, all connections together',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'passerelle_process_' });
  }

  serve(host: string, port: number): Promise<Server> {
    const server = createServer((req, res) => {
      if (req.method !== 'GET' || req.url !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: GET /metrics\n');
        return;
      }
      this.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(text),
        (err: Error) => res.writeHead(500).end(err.message),
      );
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve(server));
    });
  }
}
