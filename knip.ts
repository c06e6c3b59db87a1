import type { KnipConfig } from 'knip';

const scriptBlock = /<script\b([^>]*)>([\s\S]*?)<\/script>/g;

/**
 * Knip's own Svelte compiler keeps only the import lines, so a module imported as a namespace and
 * passed whole (`i18n.scoped(messages)`) looks unused. This one gives knip every <script> body, with
 * the instance script's `export`s dropped (they are the component's bind:this API, not module
 * exports), plus the lazy `import('…')` calls of the markup.
 */
function svelteForKnip(text: string): string {
  const scripts = [...text.matchAll(scriptBlock)].map(([, attributes = '', body = '']) =>
    /\bmodule\b/.test(attributes) ? body : body.replace(/^(\s*)export (?=(async )?function|const|let|class)/gm, '$1'),
  );
  const markup = text.replace(scriptBlock, '');
  const lazy = [...markup.matchAll(/import\(\s*('[^']+'|"[^"]+")\s*\)/g)].map((m) => `import(${m[1]});`);
  return [...scripts, ...lazy].join('\n');
}

const config: KnipConfig = {
  entry: ['bench/*.ts', 'tests/**/*.test.ts'],
  project: ['server/**/*.ts', 'shared/**/*.ts', 'client/src/**/*.{ts,svelte}', 'tests/**/*.ts', 'bench/**/*.ts'],
  ignoreExportsUsedInFile: true,
  // Command-line tools from Debian packages that scripts/setup.sh installs (poppler-utils, util-linux, openssl, ffmpeg, iproute2),
  // and espeak-ng, which only the weak-link bench's --speech tts needs (it says how to install it).
  ignoreBinaries: ['pdfsig', 'pdftotext', 'taskset', 'renice', 'openssl', 'ffmpeg', 'mount', 'umount', 'ip', 'espeak-ng'],
  compilers: { svelte: svelteForKnip },
};

export default config;
