import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../../src/gateway/audit.js';
import { hashPassword } from '../../../src/gateway/auth/password.js';
import { LoginRateLimiter } from '../../../src/gateway/auth/rate-limit.js';
import { TotpReplayGuard } from '../../../src/gateway/auth/totp.js';
import { parseUsers } from '../../../src/gateway/auth/users.js';
import type { LoadedConfig } from '../../../src/gateway/config/load.js';
import type { GatewayContext } from '../../../src/gateway/context.js';
import { handleApi, type ApiDeps } from '../../../src/gateway/http/api.js';
import { PasswordVerifier } from '../../../src/gateway/auth/verifier.js';
import { LoginRefusalLog } from '../../../src/gateway/login-refusals.js';
import { GatewayMetrics } from '../../../src/gateway/metrics.js';
import { Policy } from '../../../src/gateway/policy.js';
import { SessionManager } from '../../../src/gateway/sessions.js';
import { exampleConfig } from './example-config.js';

describe('login racing a reload', () => {
  it('issues no session when the reload removed the user while her password was checked', async () => {
    const file = exampleConfig();
    const users = parseUsers(
      `- { name: alice, password: "${await hashPassword('right')}", groups: [staff] }\n`,
      'users.yaml',
    );
    const events: AuditEvent[] = [];
    const audit = { write: (e: AuditEvent) => events.push(e), reopen() {}, close: async () => {} };
    const sessions = new SessionManager({
      lifetimeSeconds: 60,
      perUser: 5,
      pool: undefined,
      onEnd: () => undefined,
    });
    const settings = { file, users } as unknown as LoadedConfig;
    const ctx: GatewayContext = {
      settings,
      policy: new Policy(file.resources, file.policies),
      sessions,
      audit,
      metrics: new GatewayMetrics(),
    };
    const deps: ApiDeps = {
      limiter: new LoginRateLimiter(),
      replayGuard: new TotpReplayGuard(),
      refusals: new LoginRefusalLog(audit, () => 60_000),
      verifier: new PasswordVerifier(1, 8),
    };
    const login = () =>
      handleApi(ctx, deps, {
        method: 'POST',
        path: '/api/v1/sessions',
        authorization: undefined,
        contentType: 'application/json',
        body: Buffer.from(JSON.stringify({ username: 'alice', password: 'right' })),
        sourceIp: '198.19.0.2',
      });

    expect((await login()).status).toBe(201);
    expect(sessions.size).toBe(1);
    // The password check has started against the old users file when the reload lands.
    const racing = login();
    ctx.settings = { ...settings, users: parseUsers('[]', 'users.yaml') } as LoadedConfig;
    sessions.endRevoked(() => undefined);
    expect((await racing).status).toBe(401);
    expect(sessions.size).toBe(0);
  });
});
