import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

const server = 'http://127.0.0.1:3000';
// xfwd: the server builds invitation links from the forwarded host, so in development they
// point at the Vite origin (which serves the client) rather than at the API port.
const api = { target: server, xfwd: true };

export default defineConfig({
  root: 'client',
  plugins: [svelte()],
  resolve: {
    // mediasoup-client logs through `debug`; a tiny stand-in keeps the join page's download small.
    alias: { debug: fileURLToPath(new URL('./client/src/lib/debug-stub.cjs', import.meta.url)) },
  },
  build: {
    outDir: '../dist/client',
    emptyOutDir: true,
  },
  server: {
    proxy: {
      '/api': api,
      '/socket.io': { ...api, ws: true },
      '/docs': api,
    },
  },
});
