// TypeScript face of the client's native data plane (src/native/client/, DESIGN §3–4).
import { loadAddon } from './load.js';

export interface LibraryReport {
  /** OpenSSL_version() as the addon calls it. */
  openssl: string;
  /** nghttp2_version(0) as the addon calls it. */
  nghttp2: string;
  /** Function name → the shared object its address (as bound in the addon) lies in. */
  bindings: Record<string, string>;
}

interface ClientBinding {
  libraries(): LibraryReport;
}

function binding(): ClientBinding {
  return loadAddon<ClientBinding>('passerelle_client');
}

/** Which OpenSSL and nghttp2 the data plane's calls reach (test/unit/native/binding.test.ts). */
export function nativeLibraries(): LibraryReport {
  return binding().libraries();
}
