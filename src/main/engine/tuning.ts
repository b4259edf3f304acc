// The data plane's knobs, with the values chosen by measurement (docs/architecture.md, "Choices
// made by measurement"), and environment overrides for measuring them again or working around
// a kernel that misbehaves. An override that is not a number in its range is refused with a
// message, never half-applied.
import type { LinkTuning } from './gateway/session-client.js';

export interface DataPlaneTuning {
  link: LinkTuning;
  /** TUN checksum offload and TSO when the kernel offers them. */
  offloads: boolean;
}

/** name → [default, min, max] */
const NUMERIC: Record<keyof LinkTuning, [number, number, number]> = {
  streamWindow: [8 << 20, 65_535, 2 ** 31 - 1],
  connectionWindow: [64 << 20, 65_535, 2 ** 31 - 1],
  notsentLowat: [128 * 1024, 0, 64 << 20],
  writeBudget: [32 * 1024, 16 * 1024, 64 << 20],
  datagramQueue: [256 * 1024, 4096, 64 << 20],
};

const ENV: Record<keyof LinkTuning, string> = {
  streamWindow: 'PASSERELLE_STREAM_WINDOW',
  connectionWindow: 'PASSERELLE_CONNECTION_WINDOW',
  notsentLowat: 'PASSERELLE_NOTSENT_LOWAT',
  writeBudget: 'PASSERELLE_WRITE_BUDGET',
  datagramQueue: 'PASSERELLE_DATAGRAM_QUEUE',
};

/** The knobs: defaults, then PASSERELLE_* environment overrides. Throws on a bad override. */
export function dataPlaneTuning(env: NodeJS.ProcessEnv = process.env): DataPlaneTuning {
  const link: LinkTuning = {};
  for (const key of Object.keys(NUMERIC) as (keyof LinkTuning)[]) {
    const [fallback, min, max] = NUMERIC[key];
    const text = env[ENV[key]];
    if (text === undefined || text === '') {
      link[key] = fallback;
      continue;
    }
    const value = Number(text);
    if (!Number.isInteger(value) || value < min || value > max)
      throw new Error(`${ENV[key]} must be an integer from ${min} to ${max}, got "${text}"`);
    link[key] = value;
  }
  const offloads = env['PASSERELLE_TUN_OFFLOADS'];
  if (offloads !== undefined && offloads !== '0' && offloads !== '1')
    throw new Error(`PASSERELLE_TUN_OFFLOADS must be 0 or 1, got "${offloads}"`);
  return { link, offloads: offloads !== '0' };
}
