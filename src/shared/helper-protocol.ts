// The one schema between the unprivileged engine and the privileged helper (src/helper/,
// docs/desktop.md "Privilege"). A Unix stream socket carries JSON, one object per line: the
// engine sends requests with an id, the helper answers each with the same id. The helper
// validates every request with these schemas before anything else looks at it.
import { z } from 'zod';

/** Where the installed helper listens (systemd `RuntimeDirectory=passerelle-helper`). */
export const DEFAULT_HELPER_SOCKET = '/run/passerelle-helper/helper.sock';
/** Lets tests (and an administrator's second instance) point the engine at another helper. */
export const HELPER_SOCKET_ENV = 'PASSERELLE_HELPER_SOCKET';

/** The longest line either side accepts; a longer one is refused and the connection closed. */
export const MAX_MESSAGE_BYTES = 16 * 1024;
/** The TUN devices one connection may hold at once (the engine needs one). */
export const MAX_DEVICES_PER_CONNECTION = 1;
/** The connections one local user may hold open at once. */
export const MAX_CONNECTIONS_PER_USER = 8;

/** A Linux interface name we create: starts with a letter, at most 15 characters. */
export const tunNameSchema = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,14}$/, {
  message: 'must be 1 to 15 letters, digits, "_" or "-", starting with a letter',
});

const ipv4 = z.string().regex(/^(\d{1,3})(\.\d{1,3}){3}$/, { message: 'must be an IPv4 address' });
const ipv4Cidr = z
  .string()
  .regex(/^(\d{1,3})(\.\d{1,3}){3}(\/\d{1,2})?$/, { message: 'must be an IPv4 CIDR' });

/** What the engine asks the helper to set up on its device (netconfig's NetworkPlan). */
export const networkPlanSchema = z.strictObject({
  tunName: tunNameSchema,
  address: ipv4,
  prefixLength: z.number().int().min(0).max(32),
  spareAddress: ipv4,
  mtu: z.number().int().min(68).max(65_535),
  routes: z.array(ipv4Cidr).max(256),
  splitTunnel: z.boolean(),
  gatewayIp: ipv4,
  dns: z.strictObject({
    servers: z.array(z.string().min(2).max(45)).max(8),
    domains: z.array(z.string().min(1).max(253)).max(32),
  }),
});
export type HelperNetworkPlan = z.infer<typeof networkPlanSchema>;

const id = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const helperRequestSchema = z.discriminatedUnion('op', [
  /** Creates a TUN device owned by the caller's uid, which the engine then opens itself. */
  z.strictObject({ id, op: z.literal('open-tun'), name: tunNameSchema }),
  /** Addresses, MTU, routes and DNS on the caller's device (recorded for crash repair). */
  z.strictObject({ id, op: z.literal('configure'), plan: networkPlanSchema }),
  /** Full tunnel: puts the gateway's host route back after a network change. */
  z.strictObject({ id, op: z.literal('refresh-host-route'), tunName: tunNameSchema }),
  /** resolv.conf mode: puts the intranet DNS back if another program rewrote the file. */
  z.strictObject({ id, op: z.literal('reapply-dns'), tunName: tunNameSchema }),
  /** Undoes everything done for the device and deletes it. */
  z.strictObject({ id, op: z.literal('release'), tunName: tunNameSchema }),
]);
export type HelperRequest = z.infer<typeof helperRequestSchema>;
export type HelperOp = HelperRequest['op'];

export const hostRouteSchema = z.strictObject({
  dst: z.string(),
  gateway: z.string().nullable(),
  dev: z.string(),
});

/** The answer to each op when it succeeds. */
export const helperResultSchemas = {
  'open-tun': z.strictObject({ name: tunNameSchema }),
  configure: z.strictObject({
    dnsMode: z.enum(['none', 'resolved', 'resolvconf']),
    hostRoute: hostRouteSchema.nullable(),
    routes: z.array(z.string()),
  }),
  'refresh-host-route': z.union([
    z.strictObject({ result: z.enum(['not-needed', 'unchanged', 'no-path']) }),
    z.strictObject({ result: z.literal('replaced'), route: hostRouteSchema }),
  ]),
  'reapply-dns': z.strictObject({ result: z.enum(['not-managed', 'unchanged', 'reapplied']) }),
  release: z.strictObject({}),
} satisfies Record<HelperOp, z.ZodType>;
export type HelperResult<O extends HelperOp> = z.infer<(typeof helperResultSchemas)[O]>;

/**
 * Why a request failed: `invalid` (not a request of this schema), `too-large` (a line over
 * MAX_MESSAGE_BYTES; the helper then closes the connection), `refused` (valid, but not allowed
 * for this caller), `failed` (allowed, but the system change failed).
 */
export const HELPER_ERROR_CODES = ['invalid', 'too-large', 'refused', 'failed'] as const;
export type HelperErrorCode = (typeof HELPER_ERROR_CODES)[number];

export const helperResponseSchema = z.union([
  z.strictObject({ id: id.nullable(), ok: z.literal(true), result: z.unknown() }),
  z.strictObject({
    id: id.nullable(),
    ok: z.literal(false),
    error: z.strictObject({ code: z.enum(HELPER_ERROR_CODES), message: z.string() }),
  }),
]);
export type HelperResponse = z.infer<typeof helperResponseSchema>;

/** The first problem of a failed parse as "path: message", for error answers and logs. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid';
  const path = issue.path.map(String).join('.');
  return path ? `${path}: ${issue.message}` : issue.message;
}
