import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

// The console is a static single-page app served by `vigil serve` (src/web/static.ts). JSX is compiled by
// esbuild (no Babel plugin needed); everything is bundled: no CDN, no web fonts.
export default defineConfig({
  root,
  base: '/',
  esbuild: { jsx: 'automatic' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
    chunkSizeWarningLimit: 700,
  },
  server: {
    // `npm run dev:web` proxies the API to a running `vigil serve` on the default port.
    proxy: { '/api': 'http://127.0.0.1:8000' },
  },
});
