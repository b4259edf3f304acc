import { describe, expect, it } from 'vitest';
import { AddressPool, PoolExhaustedError } from '../../../src/gateway/pool.js';

describe('address pool', () => {
  it('skips the network and broadcast addresses of a /24', () => {
    const pool = new AddressPool('100.64.0.0/24');
    expect(pool.capacity).toBe(254);
    expect(pool.acquire('alice')).toBe('100.64.0.1');
    expect(pool.acquire('bob')).toBe('100.64.0.2');
    expect(pool.leased).toBe(2);
  });

  it('shares one lease between the sessions of a user and frees it with the last one', () => {
    const pool = new AddressPool('100.64.0.0/24');
    const first = pool.acquire('alice');
    expect(pool.acquire('alice')).toBe(first);
    expect(pool.leased).toBe(1);
    pool.release('alice', first);
    expect(pool.leased).toBe(1);
    pool.release('alice', first);
    expect(pool.leased).toBe(0);
    // A release of someone else's address, or a second one, changes nothing.
    const bobs = pool.acquire('bob');
    pool.release('alice', bobs);
    pool.release('alice', first);
    expect(pool.leased).toBe(1);
  });

  it('gives a returning user the same address, and keeps it away from others meanwhile', () => {
    const pool = new AddressPool('100.64.0.0/24');
    const alice = pool.acquire('alice');
    pool.release('alice', alice);
    const bob = pool.acquire('bob');
    expect(bob).not.toBe(alice);
    expect(pool.acquire('alice')).toBe(alice);
  });

  it('runs out with PoolExhaustedError, and serves again after a release', () => {
    const pool = new AddressPool('10.9.0.0/30');
    expect(pool.capacity).toBe(2);
    expect(pool.acquire('a')).toBe('10.9.0.1');
    expect(pool.acquire('b')).toBe('10.9.0.2');
    expect(() => pool.acquire('c')).toThrow(PoolExhaustedError);
    expect(() => pool.acquire('c')).toThrow('address pool 10.9.0.0/30 has no free address');
    // The users who hold an address still get it.
    expect(pool.acquire('a')).toBe('10.9.0.1');
    pool.release('b', '10.9.0.2');
    expect(pool.acquire('c')).toBe('10.9.0.2');
  });

  it('takes a remembered address only when nothing else is free', () => {
    const pool = new AddressPool('10.9.0.0/30');
    pool.release('a', pool.acquire('a')); // .1 remembered for a
    expect(pool.acquire('b')).toBe('10.9.0.2');
    expect(pool.acquire('c')).toBe('10.9.0.1'); // a's old address, the only one left
    pool.release('c', '10.9.0.1');
    expect(pool.acquire('a')).toBe('10.9.0.1'); // c remembers it now, but it is the only free address
  });

  it('uses both addresses of a /31 and the single address of a /32', () => {
    const p31 = new AddressPool('10.9.0.0/31');
    expect(p31.capacity).toBe(2);
    expect([p31.acquire('a'), p31.acquire('b')]).toEqual(['10.9.0.0', '10.9.0.1']);
    expect(() => p31.acquire('c')).toThrow(PoolExhaustedError);
    const p32 = new AddressPool('10.9.0.7/32');
    expect(p32.capacity).toBe(1);
    expect(p32.acquire('a')).toBe('10.9.0.7');
    expect(() => p32.acquire('b')).toThrow(PoolExhaustedError);
    p32.release('a', '10.9.0.7');
    expect(p32.acquire('b')).toBe('10.9.0.7');
  });

  it('adopts the addresses of sessions that outlive a reload', () => {
    const pool = new AddressPool('100.64.0.0/24');
    expect(pool.adopt('alice', '100.64.0.77')).toBe(true);
    expect(pool.leased).toBe(1);
    // The adopted lease is alice's: her next session shares it, nobody else gets it.
    expect(pool.acquire('alice')).toBe('100.64.0.77');
    expect(pool.adopt('alice', '100.64.0.77')).toBe(true);
    expect(pool.adopt('bob', '100.64.0.77')).toBe(false);
    // Outside the new pool, or its network/broadcast address: not adopted.
    expect(pool.adopt('carol', '100.65.0.1')).toBe(false);
    expect(pool.adopt('carol', '100.64.0.0')).toBe(false);
    expect(pool.adopt('carol', '100.64.0.255')).toBe(false);
    // Three uses of the lease: freed after three releases.
    pool.release('alice', '100.64.0.77');
    pool.release('alice', '100.64.0.77');
    expect(pool.leased).toBe(1);
    pool.release('alice', '100.64.0.77');
    expect(pool.leased).toBe(0);
    for (let i = 0; i < 300 && pool.leased < pool.capacity - 1; i++)
      expect(pool.acquire(`u${i}`)).not.toBe('100.64.0.77');
    expect(pool.acquire('alice')).toBe('100.64.0.77');
  });

  it('hands out every address once before running out', () => {
    const pool = new AddressPool('10.9.0.0/26');
    const seen = new Set<string>();
    for (let i = 0; i < pool.capacity; i++) seen.add(pool.acquire(`user${i}`));
    expect(seen.size).toBe(62);
    expect(seen.has('10.9.0.0')).toBe(false);
    expect(seen.has('10.9.0.63')).toBe(false);
    expect(() => pool.acquire('one-more')).toThrow(PoolExhaustedError);
  });
});
