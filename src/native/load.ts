// The one loader of the native data-plane addons (DESIGN §4, src/native/README.md). Node (and
// Electron) export their own OpenSSL and most nghttp2 symbols: an addon loaded the ordinary
// way would call Node's copies for some functions and Debian's for others. Loading it with
// RTLD_DEEPBIND puts the addon's own libraries first, so every call reaches the copy it was
// built against (proved by test/unit/native-binding.test.ts).
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder holding package.json, found from this file (src/native/, dist/native/, a bundle). */
export function packageRoot(from: string = fileURLToPath(import.meta.url)): string {
  let dir = dirname(from);
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${from}`);
    dir = parent;
  }
}

/** Where node-gyp puts an addon target, e.g. `passerelle_client`. */
export function addonPath(target: string): string {
  return join(packageRoot(), 'src', 'native', 'build', 'Release', `${target}.node`);
}

const loaded = new Map<string, unknown>();

/**
 * Loads `src/native/build/Release/<target>.node` once, bound with RTLD_NOW | RTLD_DEEPBIND.
 * Throws an error that says how to build it when it is missing or cannot be loaded.
 */
export function loadAddon<T>(target: string): T {
  const cached = loaded.get(target);
  if (cached) return cached as T;
  const path = addonPath(target);
  const module = { exports: {} as T };
  try {
    const flags = constants.dlopen;
    // RTLD_DEEPBIND is a glibc flag: Node lists it on Linux only.
    const deepBind = flags.RTLD_DEEPBIND ?? 0;
    process.dlopen(module, path, flags.RTLD_NOW | deepBind);
  } catch (err) {
    throw new Error(
      `cannot load the native addon ${path} (build it with \`npm ci\` or ` +
        `\`npx node-gyp rebuild --directory src/native\`): ${(err as Error).message}`,
      { cause: err },
    );
  }
  loaded.set(target, module.exports);
  return module.exports;
}
