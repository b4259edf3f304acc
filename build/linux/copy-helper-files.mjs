// `npm run build:helper`, after esbuild bundled the helper: puts beside the bundle what the
// installed helper needs at run time, its SO_PEERCRED module and its README, so that
// electron-builder ships the folder as it is (extraResources → resources/helper/).
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
const out = join(root, 'dist', 'helper-service');
const addon = join(root, 'src', 'native', 'build', 'Release', 'passerelle_peer.node');
if (!existsSync(addon)) {
  console.error(
    `${addon} is missing: build the addon first (npx node-gyp rebuild --directory src/native)`,
  );
  process.exit(1);
}
copyFileSync(addon, join(out, 'passerelle_peer.node'));
copyFileSync(join(root, 'build', 'linux', 'helper-README.md'), join(out, 'README.md'));
