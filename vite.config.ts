// Builds the renderer (src/renderer) into dist/renderer for the app:// protocol of the Electron
// shell and for the UI tests. Relative base: the files are served from any origin.
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';
import { RENDERER_CSP_META } from './src/main/electron/csp.ts';
import { tokensCss } from './src/renderer/theme/tokens.ts';

const TOKENS_ID = 'virtual:passerelle-tokens.css';

/** Serves the design tokens as a CSS module, and puts the CSP in index.html's meta tag. */
function passerelle(): Plugin {
  return {
    name: 'passerelle-renderer',
    resolveId(id) {
      return id === TOKENS_ID ? `\0${TOKENS_ID}` : null;
    },
    load(id) {
      return id === `\0${TOKENS_ID}` ? tokensCss() : null;
    },
    transformIndexHtml(html) {
      return html.replace('%PASSERELLE_CSP%', RENDERER_CSP_META);
    },
  };
}

export default defineConfig({
  root: 'src/renderer',
  base: './',
  plugins: [react(), passerelle()],
  build: {
    outDir: '../../dist/renderer',
    emptyOutDir: true,
    target: 'chrome130',
    // Inline nothing as data: URLs beyond small icons; no module preload polyfill (inline script).
    modulePreload: { polyfill: false },
    sourcemap: false,
  },
});
