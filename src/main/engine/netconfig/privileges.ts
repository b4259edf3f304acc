// Whether this process may configure the network: CAP_NET_ADMIN in its effective set.
import { readFile } from 'node:fs/promises';

export const CAP_NET_ADMIN = 12;

export interface PrivilegeCheck {
  /** True when CAP_NET_ADMIN is effective. */
  ok: boolean;
  /** The effective capability set, or null when /proc/self/status could not be read. */
  capEff: bigint | null;
  /** A sentence for the user when ok is false. */
  message: string;
}

/** The CapEff mask from the text of /proc/<pid>/status, or null. */
export function parseCapEff(status: string): bigint | null {
  const match = /^CapEff:\s*([0-9a-fA-F]+)\s*$/m.exec(status);
  return match?.[1] ? BigInt(`0x${match[1]}`) : null;
}

export function hasCapability(mask: bigint, capability: number): boolean {
  return ((mask >> BigInt(capability)) & 1n) === 1n;
}

export async function checkPrivileges(statusPath = '/proc/self/status'): Promise<PrivilegeCheck> {
  let capEff: bigint | null = null;
  try {
    capEff = parseCapEff(await readFile(statusPath, 'utf8'));
  } catch {
    // handled below
  }
  if (capEff === null) {
    return {
      ok: false,
      capEff,
      message: `cannot read the capabilities of this process (${statusPath})`,
    };
  }
  if (hasCapability(capEff, CAP_NET_ADMIN))
    return { ok: true, capEff, message: 'CAP_NET_ADMIN is effective' };
  return {
    ok: false,
    capEff,
    message:
      'missing privileges: configuring the VPN needs CAP_NET_ADMIN (run as root, or grant it with ' +
      '`setcap cap_net_admin+ep` on the executable as the installer does)',
  };
}
