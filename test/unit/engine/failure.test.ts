// Why a gateway cannot be reached, as the classes the UI puts into words; Retry-After as the
// gateway sends it; cancelling a connection attempt at any point.
import { describe, expect, it, vi } from 'vitest';
import {
  Cancelled,
  ConnectAttempt,
  LOGIN_GRACE_MS,
} from '../../../src/main/engine/connect-attempt.js';
import { GatewayError, causeOfErrno, failureOf } from '../../../src/main/engine/gateway/errors.js';
import { retryAfterSeconds } from '../../../src/main/engine/gateway/session-client.js';

describe('failure causes', () => {
  it('classifies resolver and socket errors', () => {
    expect(causeOfErrno('ENOTFOUND')).toBe('name-unknown');
    expect(causeOfErrno('EAI_AGAIN')).toBe('dns-unavailable');
    expect(causeOfErrno('ETIMEDOUT')).toBe('timed-out');
    expect(causeOfErrno('ECONNREFUSED')).toBe('refused');
    expect(causeOfErrno('EHOSTUNREACH')).toBe('network-unreachable');
    expect(causeOfErrno('ENETUNREACH')).toBe('network-unreachable');
    expect(causeOfErrno('ECONNRESET')).toBe('connection-reset');
    expect(causeOfErrno('ERR_SSL_WRONG_VERSION_NUMBER')).toBe('tls-failed');
    expect(causeOfErrno('EWHATEVER')).toBe('other');
    expect(causeOfErrno(undefined)).toBe('other');
  });

  it('prefers the cause a GatewayError carries, else reads the errno', () => {
    expect(
      failureOf(new GatewayError('gateway-unreachable', 'x', { cause: 'keepalive-lost' })),
    ).toBe('keepalive-lost');
    expect(failureOf(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe('refused');
    expect(failureOf('not an error')).toBe('other');
  });
});

describe('Retry-After', () => {
  const now = Date.parse('2030-01-01T10:00:00Z');
  it('reads seconds and HTTP dates, caps at a day, ignores nonsense', () => {
    expect(retryAfterSeconds('120', now)).toBe(120);
    expect(retryAfterSeconds(' 7 ', now)).toBe(7);
    expect(retryAfterSeconds('Tue, 01 Jan 2030 10:05:00 GMT', now)).toBe(300);
    expect(retryAfterSeconds('Tue, 01 Jan 2030 09:00:00 GMT', now)).toBe(0);
    expect(retryAfterSeconds('999999999', now)).toBe(86_400);
    expect(retryAfterSeconds('soon', now)).toBeUndefined();
    expect(retryAfterSeconds(undefined, now)).toBeUndefined();
  });
});

describe('ConnectAttempt', () => {
  it('stops the step under way and every later one once cancelled', async () => {
    const attempt = new ConnectAttempt();
    const client = { close: vi.fn() };
    attempt.attach(client);
    attempt.phase = 'securing';
    const never = new Promise<string>(() => undefined);
    const step = attempt.race(never);
    attempt.cancel();
    await expect(step).rejects.toBeInstanceOf(Cancelled);
    expect(client.close).toHaveBeenCalledTimes(1);
    expect(() => attempt.check()).toThrow(Cancelled);
    await expect(attempt.race(Promise.resolve(1))).rejects.toBeInstanceOf(Cancelled);
    attempt.cancel(); // twice is harmless
    expect(client.close).toHaveBeenCalledTimes(1);
  });

  it('closes a connection attached after the cancel at once', () => {
    const attempt = new ConnectAttempt();
    attempt.cancel();
    const client = { close: vi.fn() };
    attempt.attach(client);
    expect(client.close).toHaveBeenCalledTimes(1);
  });

  it('gives a login already sent a short grace, then closes', () => {
    vi.useFakeTimers();
    try {
      const attempt = new ConnectAttempt();
      const client = { close: vi.fn() };
      attempt.attach(client);
      attempt.phase = 'signing-in';
      attempt.cancel();
      expect(client.close).not.toHaveBeenCalled();
      vi.advanceTimersByTime(LOGIN_GRACE_MS);
      expect(client.close).toHaveBeenCalledTimes(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it('leaves a signed-in connection open, for connect() to log out on', () => {
    const attempt = new ConnectAttempt();
    const client = { close: vi.fn() };
    attempt.attach(client);
    attempt.phase = 'configuring';
    attempt.cancel();
    expect(client.close).not.toHaveBeenCalled();
    expect(attempt.cancelled).toBe(true);
  });

  it('finish() ends the grace and resolves done', async () => {
    vi.useFakeTimers();
    try {
      const attempt = new ConnectAttempt();
      const client = { close: vi.fn() };
      attempt.attach(client);
      attempt.phase = 'signing-in';
      attempt.cancel();
      attempt.finish();
      vi.advanceTimersByTime(LOGIN_GRACE_MS * 2);
      expect(client.close).not.toHaveBeenCalled();
      await attempt.done;
    } finally {
      vi.useRealTimers();
    }
  });
});
