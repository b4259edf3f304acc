// The renderer's Content-Security-Policy. The Electron shell sends it as a header on every
// response and vite.config.ts puts the same text in index.html's meta tag. Everything is
// local: no remote script, style, image, font or connection, no inline script, no eval.
const DIRECTIVES = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'none'",
  "media-src 'none'",
  "object-src 'none'",
  "frame-src 'none'",
  "worker-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
];

/** For index.html's meta tag (frame-ancestors is only honoured in a header). */
export const RENDERER_CSP_META = DIRECTIVES.join('; ');

/** For the response header. */
export const RENDERER_CSP = [...DIRECTIVES, "frame-ancestors 'none'"].join('; ');
