import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants as zlibConstants, gzipSync } from 'node:zlib';
import { defineConfig, type Plugin, type Rollup } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { VitePWA } from 'vite-plugin-pwa';

const server = 'http://127.0.0.1:3000';
// xfwd: the server builds invitation links from the forwarded host, so in development they
// point at the Vite origin (which serves the client) rather than at the API port.
const api = { target: server, xfwd: true };

/**
 * The room uses mediasoup-client's Device only. The package index also bundles a fake handler and
 * test fixtures (RemoteSdp imports it for the version string), and Device's React Native handler
 * never runs in a browser: about 35 kB less in the room chunk of the join page. Build only (the
 * dev server pre-bundles the package whole).
 */
function slimMediasoupClient(): Plugin {
  const lib = fileURLToPath(new URL('./node_modules/mediasoup-client/lib/', import.meta.url));
  const { version } = JSON.parse(fs.readFileSync(new URL('./node_modules/mediasoup-client/package.json', import.meta.url), 'utf8')) as { version: string };
  const versionModule = '\0mediasoup-client-version';
  const noReactNative = '\0mediasoup-client-no-react-native';
  return {
    name: 'slim-mediasoup-client',
    apply: 'build',
    enforce: 'pre',
    resolveId(source, importer) {
      const from = importer?.replace(/\?.*$/, '');
      if (source === 'mediasoup-client') return `${lib}Device.js`;
      if (source === '../../' && from === `${lib}handlers/sdp/RemoteSdp.js`) return versionModule;
      if (source === './handlers/ReactNative106' && from === `${lib}Device.js`) return noReactNative;
      return null;
    },
    load(id) {
      if (id === versionModule) return `export const version = ${JSON.stringify(version)};`;
      if (id === noReactNative) return `export class ReactNative106 { static createFactory() { throw new Error('React Native is not supported in this build'); } }`;
      return null;
    },
  };
}

/**
 * Brotli and gzip copies of the built code next to the files (served by @fastify/static's
 * preCompressed): a phone on a weak link downloads about a third of the bytes.
 */
function precompress(): Plugin {
  return {
    name: 'precompress',
    apply: 'build',
    // After writing: only then is the code final (Vite rewrites chunks until the very end).
    writeBundle(options, bundle) {
      for (const fileName of Object.keys(bundle)) {
        if (!/\.(js|css|html|svg)$/.test(fileName)) continue;
        const file = path.join(options.dir!, fileName);
        const source = fs.readFileSync(file);
        if (source.length < 1024) continue;
        fs.writeFileSync(`${file}.br`, brotliCompressSync(source, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 11 } }));
        fs.writeFileSync(`${file}.gz`, gzipSync(source, { level: 9 }));
      }
    },
  };
}

/**
 * The files a party needs with no link (issue 12 point 6): the join page (the entry chunk and its
 * static imports, its CSS, the English texts) and the offline statements chunk. Not the staff desk
 * or the room (which needs a link anyway): a phone at sea downloads only these, once per release.
 */
function joinPageFiles(): { plugin: Plugin; files: Set<string> } {
  const files = new Set<string>(['index.html']);
  const add = (bundle: Rollup.OutputBundle, fileName: string) => {
    const chunk = bundle[fileName];
    if (chunk?.type !== 'chunk' || files.has(fileName)) return;
    files.add(fileName);
    for (const css of chunk.viteMetadata?.importedCss ?? []) files.add(css);
    for (const imported of chunk.imports) add(bundle, imported);
  };
  const wanted = [/\/client\/src\/main\.ts$/, /\/locales\/en\.ts$/, /\/join\/offline\/OfflineStatements\.svelte$/];
  const plugin: Plugin = {
    name: 'join-page-files',
    apply: 'build',
    generateBundle(_options, bundle) {
      files.clear();
      files.add('index.html');
      for (const [fileName, chunk] of Object.entries(bundle)) {
        if (chunk.type === 'chunk' && chunk.facadeModuleId && wanted.some((re) => re.test(chunk.facadeModuleId!))) add(bundle, fileName);
      }
    },
  };
  return { plugin, files };
}

/**
 * The join page's service worker (Workbox through vite-plugin-pwa), scoped to /j/: it serves the
 * page's own files from its cache, and a navigation goes to the network first, so that a phone
 * with a link always gets the current release; only with no link does it get the cached page
 * (whose files are all in that same cache, so it never mixes releases). API calls and socket.io
 * are never cached. A new release's worker takes over at once and removes the old files.
 */
function joinServiceWorker() {
  const { plugin, files } = joinPageFiles();
  return [
    plugin,
    VitePWA({
      strategies: 'generateSW',
      mode: 'production', // minified, without Workbox's console logs, whatever NODE_ENV the build inherits (vitest sets test)
      registerType: 'autoUpdate',
      injectRegister: false, // registered by the join page itself, with its scope
      manifest: false,
      scope: '/j/',
      workbox: {
        globPatterns: ['**/*.{js,css,html}'],
        manifestTransforms: [async (entries) => ({ manifest: entries.filter((e) => files.has(e.url)), warnings: [] })],
        navigateFallback: null,
        cleanupOutdatedCaches: true,
        clientsClaim: true,
        skipWaiting: true,
        inlineWorkboxRuntime: true,
        runtimeCaching: [
          {
            urlPattern: ({ request, url }) => request.mode === 'navigate' && url.pathname.startsWith('/j/'),
            handler: 'NetworkOnly',
            options: { precacheFallback: { fallbackURL: 'index.html' } },
          },
        ],
      },
    }),
  ];
}

export default defineConfig(({ mode }) => ({
  root: 'client',
  // The browser tests' read-only handle on the room (window.__haiqiaoRoom): only in `--mode test` builds.
  define: { __HAIQIAO_TEST_HANDLE__: JSON.stringify(mode === 'test') },
  plugins: [svelte(), slimMediasoupClient(), precompress(), joinServiceWorker()],
  resolve: {
    // mediasoup-client logs through `debug`; a tiny stand-in keeps the join page's download small.
    alias: { debug: fileURLToPath(new URL('./client/src/lib/debug-stub.cjs', import.meta.url)) },
  },
  build: {
    outDir: '../dist/client',
    emptyOutDir: true,
    // dist/client/.vite/manifest.json: the chunk graph, for the join-page size test.
    manifest: true,
  },
  server: {
    proxy: {
      '/api': api,
      '/socket.io': { ...api, ws: true },
      '/docs': api,
    },
  },
}));
