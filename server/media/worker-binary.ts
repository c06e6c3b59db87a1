// Locates the mediasoup-worker binary and checks it was built for the installed mediasoup.
// The worker itself does no version check, and on these machines the binary is built by
// scripts/setup.sh (or downloaded by mediasoup's postinstall), so a stale binary is a real risk.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

export interface WorkerBinary {
  /** Absolute path of the mediasoup-worker executable. */
  path: string;
  /** mediasoup version it was built for (from the `<path>.version` sidecar). */
  version: string;
}

export interface ResolveWorkerBinaryOptions {
  /** Environment to read MEDIASOUP_WORKER_BIN from; defaults to process.env. */
  env?: Record<string, string | undefined>;
  /** Version the binary must match; defaults to the installed mediasoup's version. */
  expectedVersion?: string;
}

const require = createRequire(import.meta.url);

/**
 * Installed mediasoup package directory. mediasoup's "exports" map does not expose
 * 'mediasoup/package.json', so resolve the main entry (node/lib/index.js) and walk up.
 */
export function mediasoupPackageDir(): string {
  let dir = path.dirname(require.resolve('mediasoup'));
  for (;;) {
    const pkgFile = path.join(dir, 'package.json');
    if (fs.existsSync(pkgFile)) {
      const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8')) as { name?: string };
      if (pkg.name === 'mediasoup') return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('cannot find the mediasoup package directory');
    dir = parent;
  }
}

/** Same value as `mediasoup.version`, read without loading mediasoup (which fixes its worker path on load). */
export function installedMediasoupVersion(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(mediasoupPackageDir(), 'package.json'), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/** mediasoup's own default: <pkg>/worker/out/Release/mediasoup-worker. */
export function defaultWorkerBinaryPath(): string {
  return path.join(mediasoupPackageDir(), 'worker', 'out', 'Release', 'mediasoup-worker');
}

/**
 * Returns the worker binary mediasoup will spawn (MEDIASOUP_WORKER_BIN if set, else the
 * default path) after checking that it is executable and that its `.version` sidecar names
 * the installed mediasoup version. Throws an Error with a remedy otherwise.
 */
export function resolveWorkerBinary(options: ResolveWorkerBinaryOptions = {}): WorkerBinary {
  const env = options.env ?? process.env;
  const expected = options.expectedVersion ?? installedMediasoupVersion();
  const fromEnv = env.MEDIASOUP_WORKER_BIN;
  const binPath = path.resolve(fromEnv ? fromEnv : defaultWorkerBinaryPath());
  const origin = fromEnv ? 'MEDIASOUP_WORKER_BIN' : "mediasoup's default path";
  const remedy = 'run `bash scripts/setup.sh` to install a worker built for this mediasoup version';

  try {
    fs.accessSync(binPath, fs.constants.X_OK);
  } catch {
    throw new Error(`mediasoup-worker not found or not executable at ${binPath} (${origin}); ${remedy}`);
  }

  const sidecar = `${binPath}.version`;
  let version: string;
  try {
    version = fs.readFileSync(sidecar, 'utf8').trim();
  } catch {
    throw new Error(
      `mediasoup-worker at ${binPath} has no version file ${sidecar}, so it cannot be matched to mediasoup ${expected}; ${remedy}`,
    );
  }
  if (version !== expected) {
    throw new Error(
      `mediasoup-worker at ${binPath} was built for mediasoup ${version || '(empty version file)'} but mediasoup ${expected} is installed; ${remedy}`,
    );
  }
  return { path: binPath, version };
}
