// Reverting a recorded state, for undo() and for crash recovery. Best effort: every step is
// tried; "already gone" is success; other failures are collected and returned together.
import { restoreResolvConf } from './dns-resolvconf.js';
import { revertResolved } from './dns-resolved.js';
import { IpRoute2 } from './routes.js';
import { isAlreadyGone, type Runner } from './run.js';
import { mayHaveLanded, type NetState } from './state.js';

export interface RevertOptions {
  run: Runner;
  timeoutMs?: number;
  /**
   * Recovery after a crash: delete the TUN link if it still exists (a TUN outlives its owner
   * only when persistent). Undo restores its MTU and up/down state instead: the engine owns it.
   */
  deleteLink: boolean;
  log?: (message: string) => void;
}

export async function revertState(state: NetState, options: RevertOptions): Promise<Error[]> {
  const ip = new IpRoute2(options.run, options.timeoutMs);
  const tun = state.tunName;
  const errors: Error[] = [];
  const step = async (what: string, action: () => Promise<unknown>): Promise<void> => {
    try {
      await action();
    } catch (err) {
      if (isAlreadyGone(err)) return;
      const e = err instanceof Error ? err : new Error(String(err));
      errors.push(e.message.includes(what) ? e : new Error(`${what}: ${e.message}`, { cause: e }));
    }
  };

  const dns = state.dns;
  if (dns.mode === 'resolved' && mayHaveLanded(dns.status)) {
    await step(`reverting DNS of ${tun}`, () =>
      revertResolved(options.run, tun, options.timeoutMs),
    );
  } else if (dns.mode === 'resolvconf' && mayHaveLanded(dns.status)) {
    await step(`restoring ${dns.path}`, async () => {
      const original =
        dns.originalBase64 === null ? null : Buffer.from(dns.originalBase64, 'base64');
      const result = await restoreResolvConf(dns.path, original, tun);
      if (result === 'not-ours') {
        options.log?.(
          `${dns.path} no longer carries Passerelle's marker for ${tun}: left as it is`,
        );
      }
    });
  }

  for (const block of [...(state.ipv6Blocks ?? [])].reverse()) {
    if (mayHaveLanded(block.status)) {
      await step(`deleting IPv6 block ${block.dst}`, () => ip.deleteUnreachable6(block.dst));
    }
  }

  for (const route of [...state.routes].reverse()) {
    if (mayHaveLanded(route.status)) {
      await step(`deleting route ${route.dst}`, () => ip.deleteDevRoute(route.dst, tun));
    }
  }

  const host = state.hostRoute;
  if (host && mayHaveLanded(host.status)) {
    await step(`deleting host route ${host.dst}`, () => ip.deleteHostRoute(host));
  }

  for (const address of [...state.addresses].reverse()) {
    if (mayHaveLanded(address.status)) {
      await step(`deleting address ${address.cidr}`, () => ip.deleteAddress(tun, address.cidr));
    }
  }

  if (options.deleteLink) {
    await step(`deleting link ${tun}`, async () => {
      const link = await ip.showLink(tun);
      if (link.kind === 'tun') {
        await ip.deleteLink(tun);
      } else {
        options.log?.(
          `${tun} exists but is not a TUN device (${link.kind ?? 'no kind'}): not deleted`,
        );
      }
    });
  } else if (mayHaveLanded(state.link.status)) {
    await step(`restoring link ${tun}`, async () => {
      if (!state.link.wasUp) await ip.setUp(tun, false);
      await ip.setMtu(tun, state.link.originalMtu);
    });
  }

  return errors;
}

/** One error that lists all of them, or nothing. */
export function combineErrors(errors: Error[], what: string): AggregateError | null {
  if (errors.length === 0) return null;
  const lines = errors.map((e) => `  - ${e.message}`).join('\n');
  return new AggregateError(errors, `${what}: ${errors.length} step(s) failed:\n${lines}`);
}
