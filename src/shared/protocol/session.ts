// The JSON bodies of the session API (DESIGN §2): what the gateway answers at login and on
// GET /api/v1/config. Both sides import these types; the gateway builds them, the client
// validates them with the schema below before trusting them.
import { z } from 'zod';

export const PROTOCOLS = ['tcp', 'udp', 'icmp'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

/** A port range, inclusive on both ends; a single port has from === to. */
export const portRangeSchema = z.object({
  from: z.number().int().min(0).max(65535),
  to: z.number().int().min(0).max(65535),
});
export type PortRange = z.infer<typeof portRangeSchema>;

/** One resource the user may reach, as shown in the desktop app's resource list. */
export const allowedResourceSchema = z.object({
  name: z.string(),
  /** CIDR, e.g. "198.18.0.10/32". */
  address: z.string(),
  /** Empty = every port. */
  ports: z.array(portRangeSchema),
  protocols: z.array(z.enum(PROTOCOLS)),
});
export type AllowedResource = z.infer<typeof allowedResourceSchema>;

export const sessionConfigSchema = z.object({
  /** The networks to send into the tunnel (CIDR). With splitTunnel false: everything. */
  routes: z.array(z.string()),
  splitTunnel: z.boolean(),
  /** The intranet IP leased to this session, or null when the gateway has no pool. */
  intranetIp: z.string().nullable(),
  /** Prefix length of the pool the intranet IP comes from (32 when there is none). */
  intranetPrefix: z.number().int().min(0).max(32),
  dns: z.object({ servers: z.array(z.string()), domains: z.array(z.string()) }),
  resources: z.array(allowedResourceSchema),
  timeouts: z.object({
    /** Seconds a UDP flow may stay silent before it is closed. */
    udpIdleSeconds: z.number().int().positive(),
    /** Seconds the gateway waits for a TCP target to accept. */
    tcpConnectSeconds: z.number().int().positive(),
    /** Seconds between HTTP/2 PINGs the client should send. */
    keepaliveSeconds: z.number().int().positive(),
    /** Seconds of session life left when this config was issued. */
    sessionSeconds: z.number().int().positive(),
  }),
});
export type SessionConfig = z.infer<typeof sessionConfigSchema>;

export const loginRequestSchema = z.object({
  username: z.string().min(1).max(256),
  password: z.string().min(1).max(1024),
  otp: z
    .string()
    .regex(/^[0-9]{6,8}$/)
    .optional(),
});
export type LoginRequest = z.infer<typeof loginRequestSchema>;

export const loginResponseSchema = z.object({
  token: z.string(),
  /** ISO 8601. */
  expiresAt: z.string(),
  config: sessionConfigSchema,
});
export type LoginResponse = z.infer<typeof loginResponseSchema>;

/** The body of every non-2xx answer of the JSON API. */
export const apiErrorSchema = z.object({
  error: z.string(),
  message: z.string(),
  /** Present when a one-time code is needed (error "otp_required"). */
  otpRequired: z.boolean().optional(),
});
export type ApiError = z.infer<typeof apiErrorSchema>;

export const API = {
  sessions: '/api/v1/sessions',
  currentSession: '/api/v1/sessions/current',
  config: '/api/v1/config',
} as const;
