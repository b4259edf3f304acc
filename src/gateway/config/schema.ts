// The gateway's YAML configuration: one zod schema from which both the TypeScript type and
// the validation come. Cross-references (policies naming resources) are checked here too, so
// `check` and `serve` report every problem with its path in one pass.
import { z } from 'zod';
import { isIPv4, parseCidr } from '../../shared/net/ipv4.js';
import { PROTOCOLS } from '../../shared/protocol/session.js';

const hostPort = (defaultPort: number) =>
  z.string().transform((text, ctx) => {
    const match =
      /^(\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-fA-F:.]+\]|[a-zA-Z0-9.-]+)(?::(\d{1,5}))?$/.exec(text);
    const port = match?.[2] === undefined ? defaultPort : Number(match[2]);
    if (!match || port < 1 || port > 65535) {
      ctx.addIssue({
        code: 'custom',
        message: `"${text}" is not "host:port" (e.g. "0.0.0.0:443")`,
      });
      return z.NEVER;
    }
    return { host: (match[1] as string).replace(/^\[|\]$/g, ''), port };
  });

const cidr = z.string().superRefine((text, ctx) => {
  try {
    parseCidr(text);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});

const ipv4 = z.string().superRefine((text, ctx) => {
  if (!isIPv4(text)) ctx.addIssue({ code: 'custom', message: `"${text}" is not an IPv4 address` });
});

/** A port (80) or an inclusive range ("8000-8099"). */
const portSpec = z.union([z.number(), z.string()]).transform((spec, ctx) => {
  const text = String(spec);
  const match = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text);
  const from = Number(match?.[1]);
  const to = match?.[2] === undefined ? from : Number(match[2]);
  if (!match || from < 1 || to > 65535 || from > to) {
    ctx.addIssue({
      code: 'custom',
      message: `"${text}" is not a port (1-65535) or a range "from-to"`,
    });
    return z.NEVER;
  }
  return { from, to };
});

const seconds = z.number().int().positive();

/** The largest flow cap the data plane can hold (its descriptor counts are 32-bit signed). */
export const MAX_FLOWS = 2_147_483_647;

/**
 * `limits:` defaults. `connections`, `unauthenticatedConnections` and `loginVerifications` have
 * none here: absent, they are sized at start from the process's descriptor limit and the CPU
 * count (src/gateway/front/limits.ts).
 */
const LIMIT_DEFAULTS = {
  streamsPerSession: 10_000,
  sessionMemoryMiB: 256,
  loginsPerMinutePerIp: 30,
  failuresBeforeLockout: 5,
  userFailuresPerHour: 50,
  loginRefusalSummarySeconds: 60,
  maxRequestBodyBytes: 16_384,
  flowsPerUser: 2_000,
  connectionsPerSource: 256,
  unauthenticatedConnectionsPerSource: 32,
  unauthenticatedStreams: 4,
  unauthenticatedBytesPerConnection: 32_768,
  unauthenticatedBytes: 16 * 1024 * 1024,
  loginQueue: 8,
};

const TIMEOUT_DEFAULTS = {
  tcpConnectSeconds: 10,
  udpIdleSeconds: 60,
  keepaliveSeconds: 10,
  handshakeSeconds: 10,
  requestSeconds: 10,
};

const resourceSchema = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'a name is 1 to 64 letters, digits, "_", "." or "-"'),
    address: cidr,
    ports: z.array(portSpec).optional(),
    protocols: z.array(z.enum(PROTOCOLS)).min(1).optional(),
    description: z.string().optional(),
  })
  .strict()
  .superRefine((resource, ctx) => {
    if (resource.ports && resource.protocols && resource.protocols.every((p) => p === 'icmp')) {
      ctx.addIssue({ code: 'custom', path: ['ports'], message: 'ports do not apply to icmp' });
    }
  });

const policySchema = z
  .object({
    users: z.array(z.string().min(1)).optional(),
    groups: z.array(z.string().min(1)).optional(),
    allow: z.array(z.string()).optional(),
    deny: z.array(z.string()).optional(),
  })
  .strict()
  .superRefine((policy, ctx) => {
    if (!policy.users?.length && !policy.groups?.length) {
      ctx.addIssue({
        code: 'custom',
        message: 'a policy names users or groups (use users: ["*"] for everyone)',
      });
    }
    if ((policy.allow === undefined) === (policy.deny === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'a policy has exactly one of allow or deny' });
    }
  });

export const gatewayConfigSchema = z
  .object({
    listen: hostPort(443),
    tls: z
      .object({
        cert: z.string().min(1),
        key: z.string().min(1),
        minVersion: z.enum(['TLSv1.2', 'TLSv1.3']).default('TLSv1.2'),
      })
      .strict(),
    auth: z.object({ users: z.string().min(1) }).strict(),
    addressPool: cidr.optional(),
    dns: z
      .object({
        servers: z.array(ipv4).default([]),
        domains: z.array(z.string().min(1)).default([]),
      })
      .strict()
      .default({ servers: [], domains: [] }),
    /** The networks to secure. Absent or splitTunnel: false = all traffic. */
    routes: z.array(cidr).optional(),
    splitTunnel: z.boolean().optional(),
    resources: z.array(resourceSchema).default([]),
    policies: z.array(policySchema).default([]),
    audit: z.string().min(1).optional(),
    metrics: hostPort(9100).optional(),
    sessions: z
      .object({
        lifetimeSeconds: seconds.default(12 * 3600),
        perUser: z.number().int().min(1).default(5),
      })
      .strict()
      .default({ lifetimeSeconds: 12 * 3600, perUser: 5 }),
    timeouts: z
      .object({
        tcpConnectSeconds: seconds.default(TIMEOUT_DEFAULTS.tcpConnectSeconds),
        udpIdleSeconds: seconds.default(TIMEOUT_DEFAULTS.udpIdleSeconds),
        keepaliveSeconds: seconds.default(TIMEOUT_DEFAULTS.keepaliveSeconds),
        /** From the TCP connection to the end of the TLS handshake. */
        // At most 60: Node's own handshake timeout (120 s) must never be the one that fires.
        handshakeSeconds: seconds.max(60).default(TIMEOUT_DEFAULTS.handshakeSeconds),
        /** For an API request to arrive whole, and for a connection before login to send one. */
        requestSeconds: seconds.max(120).default(TIMEOUT_DEFAULTS.requestSeconds),
      })
      .strict()
      .default(TIMEOUT_DEFAULTS),
    limits: z
      .object({
        streamsPerSession: z.number().int().min(1).max(100_000).default(10_000),
        sessionMemoryMiB: z.number().int().min(8).max(4096).default(256),
        loginsPerMinutePerIp: z.number().int().min(1).default(30),
        /** Failures of one user name from one source address before that pair is locked out. */
        failuresBeforeLockout: z.number().int().min(1).default(5),
        /** Failures of one user name from all sources per hour before the name is under attack. */
        userFailuresPerHour: z.number().int().min(1).default(50),
        /** Refused logins are written to the audit log as one line per source and interval. */
        loginRefusalSummarySeconds: z.number().int().min(1).max(3600).default(60),
        maxRequestBodyBytes: z.number().int().min(256).max(1_048_576).default(16_384),
        /**
         * Target sockets (TCP, UDP, ICMP) one user's flows may hold, all sessions together.
         * At most 2^31 - 1: the data plane counts descriptors in 32 signed bits.
         */
        flowsPerUser: z.number().int().min(1).max(MAX_FLOWS).default(LIMIT_DEFAULTS.flowsPerUser),
        /** Target sockets all flows together may hold; absent = sized from the descriptor limit. */
        flowsTotal: z.number().int().min(1).max(MAX_FLOWS).optional(),
        /** Client connections at once, overall. Default: a quarter of the descriptor budget. */
        connections: z.number().int().min(1).optional(),
        connectionsPerSource: z.number().int().min(1).default(LIMIT_DEFAULTS.connectionsPerSource),
        /** Connections before login, overall. Default: half of `connections`. */
        unauthenticatedConnections: z.number().int().min(1).optional(),
        unauthenticatedConnectionsPerSource: z
          .number()
          .int()
          .min(1)
          .default(LIMIT_DEFAULTS.unauthenticatedConnectionsPerSource),
        unauthenticatedStreams: z
          .number()
          .int()
          .min(1)
          .max(100)
          .default(LIMIT_DEFAULTS.unauthenticatedStreams),
        unauthenticatedBytesPerConnection: z
          .number()
          .int()
          .min(256)
          .default(LIMIT_DEFAULTS.unauthenticatedBytesPerConnection),
        unauthenticatedBytes: z
          .number()
          .int()
          .min(256)
          .default(LIMIT_DEFAULTS.unauthenticatedBytes),
        /** Password verifications running at once. Default: half the CPUs, at least 1. */
        loginVerifications: z.number().int().min(1).max(64).optional(),
        loginQueue: z.number().int().min(0).max(10_000).default(LIMIT_DEFAULTS.loginQueue),
      })
      .strict()
      .superRefine((limits, ctx) => {
        const atLeast = (key: keyof typeof limits, other: keyof typeof limits) => {
          const value = limits[key];
          const floor = limits[other];
          if (typeof value === 'number' && typeof floor === 'number' && value < floor)
            ctx.addIssue({
              code: 'custom',
              path: [key],
              message: `${value} is less than ${other} (${floor})`,
            });
        };
        // A login's body must fit in what one connection may buffer, and that in the total;
        // a cap on connections before login is part of the cap on all connections.
        atLeast('unauthenticatedBytesPerConnection', 'maxRequestBodyBytes');
        atLeast('unauthenticatedBytes', 'unauthenticatedBytesPerConnection');
        atLeast('connections', 'unauthenticatedConnections');
        atLeast('connectionsPerSource', 'unauthenticatedConnectionsPerSource');
      })
      .default(LIMIT_DEFAULTS),
    /** The native data plane (docs/gateway-dataplane.md). */
    dataPlane: z
      .object({
        /** Worker threads; 0 = one per CPU. A new value takes effect at the next restart. */
        threads: z.number().int().min(0).max(64).default(0),
      })
      .strict()
      .default({ threads: 0 }),
    flowControl: z
      .object({
        streamWindowBytes: z
          .number()
          .int()
          .min(65_535)
          .max(2 ** 31 - 1)
          .default(8 * 1024 * 1024),
        connectionWindowBytes: z
          .number()
          .int()
          .min(65_535)
          .max(2 ** 31 - 1)
          .default(64 * 1024 * 1024),
      })
      .strict()
      .default({ streamWindowBytes: 8 * 1024 * 1024, connectionWindowBytes: 64 * 1024 * 1024 }),
  })
  .strict()
  .superRefine(
    (config, ctx) => {
      const names = new Map<string, number>();
      config.resources.forEach((resource, index) => {
        // Also run when other parts of the file are invalid (see `when` below): skip what is malformed.
        if (typeof resource?.name !== 'string') return;
        if (names.has(resource.name)) {
          ctx.addIssue({
            code: 'custom',
            path: ['resources', index, 'name'],
            message: `duplicate resource name "${resource.name}" (first at resources[${names.get(resource.name)}])`,
          });
        } else {
          names.set(resource.name, index);
        }
      });
      config.policies.forEach((policy, index) => {
        for (const key of ['allow', 'deny'] as const) {
          if (!Array.isArray(policy?.[key])) continue;
          policy[key].forEach((name, i) => {
            if (typeof name === 'string' && !names.has(name)) {
              ctx.addIssue({
                code: 'custom',
                path: ['policies', index, key, i],
                message: `unknown resource "${name}"`,
              });
            }
          });
        }
      });
      if (
        config.splitTunnel !== false &&
        config.routes !== undefined &&
        config.routes.length === 0
      ) {
        ctx.addIssue({
          code: 'custom',
          path: ['routes'],
          message: 'no networks to secure: list routes, or set splitTunnel: false for all traffic',
        });
      }
    },
    {
      // zod skips refinements of an object with other problems; these cross-references are
      // checked anyway, so that `check` lists every problem in one pass.
      when: (payload) => {
        const value = payload.value as { resources?: unknown; policies?: unknown } | null;
        return (
          typeof value === 'object' &&
          value !== null &&
          Array.isArray(value.resources) &&
          Array.isArray(value.policies)
        );
      },
    },
  );

export type GatewayConfigFile = z.output<typeof gatewayConfigSchema>;
export type ResourceConfig = GatewayConfigFile['resources'][number];
export type PolicyConfig = GatewayConfigFile['policies'][number];

/** Formats a zod issue path as `policies[2].allow[0]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(top level)' : out;
}

/** Every problem of a parsed YAML document, as "path: reason" lines. */
export function validateConfig(
  document: unknown,
): { ok: true; config: GatewayConfigFile } | { ok: false; problems: string[] } {
  // reportInput: a present value of the wrong type ("listen: 443") is told apart from a missing one.
  const result = gatewayConfigSchema.safeParse(document, { reportInput: true });
  if (result.success) return { ok: true, config: result.data };
  return {
    ok: false,
    problems: result.error.issues.map(
      (issue) => `${formatPath(issue.path)}: ${describeIssue(issue)}`,
    ),
  };
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys')
    return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  if (issue.code === 'invalid_type' && issue.input === undefined) return 'is required';
  return issue.message;
}
