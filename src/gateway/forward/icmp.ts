// ICMP echo over connect-ip (RFC 9484, ipproto 1). The client sends whole IPv4 echo requests
// in DATAGRAM capsules; the gateway checks each against the policy, sends the echo itself
// from its own address (a kernel "ping" socket), and returns the reply as an IPv4 packet from
// the target to the client's address. A denied target gets ICMP "administratively
// prohibited" back, so ping reports it at once instead of timing out.
import type { Duplex } from 'node:stream';
import { openIcmpEchoSocket, type IcmpEchoSocket } from '../../native/index.js';
import {
  cidrContains,
  formatCidr,
  formatIPv4,
  parseCidr,
  parseIPv4,
  type Cidr,
} from '../../shared/net/ipv4.js';
import {
  ICMP_TYPE,
  IcmpHeader,
  Ipv4Header,
  UNREACHABLE_CODE,
  buildIcmpEcho,
  buildIcmpUnreachable,
  parseIcmp,
  parseIpv4,
} from '../../shared/packet/index.js';
import {
  CAPSULE_ADDRESS_ASSIGN,
  CAPSULE_ROUTE_ADVERTISEMENT,
  encodeCapsule,
  encodeDatagramCapsule,
} from '../../shared/protocol/capsule.js';
import { readDatagrams } from '../../shared/protocol/datagram-stream.js';
import type { GatewayContext } from '../context.js';
import type { Decision } from '../policy.js';
import type { Session } from '../sessions.js';
import { FlowRecord, recordDenied, reserveSocket, type Refusal } from './flow.js';
import type { SocketLease } from './socket-budget.js';

const MAX_IP_CAPSULE = 65_535 + 8;
/** How long an echo request waits for its reply before its mapping is forgotten. */
const ECHO_TIMEOUT_MS = 30_000;
const MAX_OUTSTANDING_ECHOES = 4096;

export interface IcmpTunnel {
  socket: IcmpEchoSocket;
  scope: Cidr | undefined;
  /** The socket's place under the flow caps, given back when the socket closes. */
  lease: SocketLease;
}

export type IcmpOpenResult = ({ ok: true } & IcmpTunnel) | Refusal;

/** Every IPv4 address: the scope of a connect-ip request for target "*". */
const EVERYWHERE: Cidr = parseCidr('0.0.0.0/0');

const prohibited = (): Refusal => ({
  ok: false,
  status: 403,
  error: 'destination_ip_prohibited',
  details: 'not allowed by policy',
});

export function openIcmp(
  ctx: GatewayContext,
  session: Session,
  target: string,
  ipproto: number | '*',
): IcmpOpenResult {
  if (ipproto !== 1) {
    return {
      ok: false,
      status: 501,
      error: 'http_request_error',
      details: 'only ICMP (ipproto 1) is served over connect-ip',
    };
  }
  let scope: Cidr | undefined;
  if (target !== '*') {
    try {
      scope = parseCidr(target);
    } catch {
      ctx.metrics.malformed.inc({ kind: 'masque-path' });
      return {
        ok: false,
        status: 400,
        error: 'http_request_error',
        details: `bad target ${target.slice(0, 50)}`,
      };
    }
    if (scope.prefix === 32) {
      const decision = ctx.policy.decide(session, { protocol: 'icmp', address: scope.network });
      if (decision.verdict === 'deny') {
        recordDenied(
          ctx,
          session,
          { protocol: 'icmp', destination: formatIPv4(scope.network) },
          decision,
        );
        return prohibited();
      }
    }
  }
  // Nothing is opened for a user the policy lets ping nowhere in the scope: each stream would
  // otherwise hold a socket only to answer "prohibited" to every packet.
  const range = scope ?? EVERYWHERE;
  if (!ctx.policy.mayReach(session, 'icmp', range)) {
    recordDenied(
      ctx,
      session,
      { protocol: 'icmp', destination: formatCidr(range) },
      { verdict: 'deny', policy: null, resource: null },
    );
    return prohibited();
  }
  const reserved = reserveSocket(ctx, session);
  if (!reserved.ok) return reserved;
  try {
    return { ok: true, socket: openIcmpEchoSocket(), scope, lease: reserved.lease };
  } catch (err) {
    reserved.lease.release();
    return {
      ok: false,
      status: 502,
      error: 'proxy_internal_error',
      details: (err as Error).message,
    };
  }
}

/** Closes a tunnel that was opened but never spliced (its stream went away meanwhile). */
export function discardIcmp(tunnel: IcmpTunnel): void {
  tunnel.socket.close();
  tunnel.lease.release();
}

/** The capsules that tell the client its address and where it may send (RFC 9484 §4.7). */
function greetingCapsules(session: Session, scope: Cidr | undefined): Buffer[] {
  const capsules: Buffer[] = [];
  if (session.intranetIp) {
    const value = Buffer.alloc(7);
    value[0] = 0; // request ID 0: assigned without a request
    value[1] = 4;
    value.writeUInt32BE(parseIPv4(session.intranetIp), 2);
    value[6] = 32;
    capsules.push(encodeCapsule(CAPSULE_ADDRESS_ASSIGN, value));
  }
  const range = Buffer.alloc(10);
  range[0] = 4;
  const start = scope ? scope.network : 0;
  range.writeUInt32BE(start, 1);
  range.writeUInt32BE(scope ? (scope.network | ~scope.mask) >>> 0 : 0xffffffff, 5);
  range[9] = 1;
  capsules.push(encodeCapsule(CAPSULE_ROUTE_ADVERTISEMENT, range));
  return capsules;
}

interface Outstanding {
  identifier: number;
  client: number;
  timer: NodeJS.Timeout;
}

export function spliceIcmp(
  ctx: GatewayContext,
  session: Session,
  stream: Duplex,
  opened: IcmpTunnel,
  onFatal: () => void,
): void {
  const { socket, scope } = opened;
  const ip = new Ipv4Header();
  const icmp = new IcmpHeader();
  const clientAddress = session.intranetIp ? parseIPv4(session.intranetIp) : undefined;
  /** Echo requests in flight, by "destination:sequence": the socket's own ID replaced the client's. */
  const outstanding = new Map<string, Outstanding>();
  /** One flow record per destination, for the audit log and metrics. */
  const flows = new Map<number, FlowRecord>();
  const deniedOnce = new Set<number>();
  let closed = false;

  for (const capsule of greetingCapsules(session, scope)) stream.write(capsule);

  const drop = (kind: string) => ctx.metrics.malformed.inc({ kind: `icmp-${kind}` });
  const sendToClient = (packet: Buffer) => {
    if (!closed) stream.write(encodeDatagramCapsule(packet));
  };

  const onPacket = (packet: Buffer) => {
    const header = parseIpv4(packet, ip);
    if (typeof header === 'string') return drop(header);
    if (clientAddress !== undefined && ip.source !== clientAddress) return drop('spoofed-source');
    const parsed = parseIcmp(packet, ip, icmp);
    if (typeof parsed === 'string') return drop(parsed);
    if (icmp.type !== ICMP_TYPE.ECHO_REQUEST) return drop('not-echo-request');
    if (scope && !cidrContains(scope, ip.destination)) return drop('outside-scope');
    const decision: Decision = ctx.policy.decide(session, {
      protocol: 'icmp',
      address: ip.destination,
    });
    if (decision.verdict === 'deny') {
      if (!deniedOnce.has(ip.destination)) {
        deniedOnce.add(ip.destination);
        recordDenied(
          ctx,
          session,
          { protocol: 'icmp', destination: formatIPv4(ip.destination) },
          decision,
        );
      }
      const unreachable = buildIcmpUnreachable(
        packet,
        ip.destination,
        UNREACHABLE_CODE.ADMINISTRATIVELY_PROHIBITED,
      );
      if (unreachable) sendToClient(unreachable);
      return;
    }
    if (outstanding.size >= MAX_OUTSTANDING_ECHOES) return drop('too-many-outstanding');
    let record = flows.get(ip.destination);
    if (!record) {
      record = new FlowRecord(
        ctx,
        session,
        { protocol: 'icmp', destination: formatIPv4(ip.destination) },
        decision,
      );
      flows.set(ip.destination, record);
    }
    const key = `${ip.destination}:${icmp.sequence}`;
    const previous = outstanding.get(key);
    if (previous) clearTimeout(previous.timer);
    outstanding.set(key, {
      identifier: icmp.identifier,
      client: ip.source,
      timer: setTimeout(() => outstanding.delete(key), ECHO_TIMEOUT_MS).unref(),
    });
    const message = packet.subarray(ip.headerLength, ip.totalLength);
    record.bytesUp += message.length;
    try {
      socket.send(formatIPv4(ip.destination), message);
    } catch {
      drop('send-failed');
    }
  };

  socket.onMessage((source, message) => {
    if (message.length < 8 || message[0] !== ICMP_TYPE.ECHO_REPLY) return;
    const sequence = message.readUInt16BE(6);
    const from = parseIPv4(source);
    const key = `${from}:${sequence}`;
    const waiting = outstanding.get(key);
    if (!waiting) return;
    clearTimeout(waiting.timer);
    outstanding.delete(key);
    const record = flows.get(from);
    if (record) record.bytesDown += message.length;
    sendToClient(
      buildIcmpEcho({
        type: ICMP_TYPE.ECHO_REPLY,
        source: from,
        destination: waiting.client,
        identifier: waiting.identifier,
        sequence,
        payload: message.subarray(8),
      }),
    );
  });

  const close = () => {
    if (closed) return;
    closed = true;
    discardIcmp(opened);
    for (const entry of outstanding.values()) clearTimeout(entry.timer);
    outstanding.clear();
    for (const record of flows.values()) record.end();
  };

  readDatagrams(stream, MAX_IP_CAPSULE, {
    onDatagram: onPacket,
    onDropped: () => drop('context'),
    onMalformed() {
      ctx.metrics.malformed.inc({ kind: 'capsule' });
      close();
      onFatal();
    },
  });
  stream.on('end', () => {
    stream.end();
    close();
  });
  stream.on('close', close);
  stream.on('error', close);
}
