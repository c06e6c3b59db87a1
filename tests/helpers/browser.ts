/**
 * End-to-end test support: the built client, the real server listening on a free port with a
 * fresh database, and Debian's Chromium driven through playwright-core (which never downloads
 * a browser of its own here).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type Browser, chromium, type Page } from 'playwright-core';
import { type App, type AppDeps, buildApp } from '../../server/app.ts';
import { WorkerPool } from '../../server/media/worker-pool.ts';
import { createOrganisation, createStaffUser } from '../../server/modules/admin/admin.service.ts';
import { createIdNumberCipher } from '../../server/security/id-number-cipher.ts';
import { createTurnCredentials, type TurnSettings } from '../../server/security/turn-credentials.ts';
import type { OrganisationId } from '../../shared/ids.ts';
import { MediaRelay, relayAddress } from './media-relay.ts';
import { createTestDatabase } from './test-database.ts';
import type { Timestamper } from '../../server/security/timestamp-authority.ts';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const resultsDir = path.join(repo, 'test-results');
/**
 * Two builds of the client: production (dist/client, what start.sh serves and the bundle-size
 * test measures) and test (dist/client-test, `vite build --mode test`: the same code plus the
 * read-only window.__haiqiaoRoom handle the browser tests read). The browser tests use the latter.
 */
export type ClientBuild = 'production' | 'test';
const builds: Record<ClientBuild, { dir: string; stamp: string; mode: string }> = {
  /** Same stamp as scripts/setup.sh: touched when a build starts, so edits made during it count. */
  production: { dir: path.join(repo, 'dist/client'), stamp: path.join(repo, 'dist/.client-build-stamp'), mode: 'production' },
  test: { dir: path.join(repo, 'dist/client-test'), stamp: path.join(repo, 'dist/.client-test-build-stamp'), mode: 'test' },
};
export const clientDirOf = (build: ClientBuild) => builds[build].dir;
const buildLock = path.join(repo, 'dist/.client-build.lock');
const clientSources = ['client', 'shared', 'vite.config.ts', 'package-lock.json', 'tsconfig.json'];

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

function mtimeOf(file: string): number | null {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return null;
  }
}

function newestSourceMtime(): number {
  let newest = 0;
  for (const source of clientSources) {
    const full = path.join(repo, source);
    const stat = fs.statSync(full, { throwIfNoEntry: false });
    if (!stat) continue;
    const files = stat.isDirectory() ? fs.readdirSync(full, { recursive: true, encoding: 'utf8' }).map((f) => path.join(full, f)) : [full];
    for (const file of files) newest = Math.max(newest, mtimeOf(file) ?? 0);
  }
  return newest;
}

function clientIsFresh(build: ClientBuild): boolean {
  const { dir, stamp } = builds[build];
  const built = mtimeOf(path.join(dir, 'index.html'));
  if (built === null) return false;
  return newestSourceMtime() <= (mtimeOf(stamp) ?? built);
}

async function withBuildLock<T>(run: () => Promise<T>): Promise<T> {
  fs.mkdirSync(path.dirname(buildLock), { recursive: true });
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      fs.writeFileSync(buildLock, String(process.pid), { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // A lock left behind by a killed run is stale after five minutes.
      if (Date.now() - (mtimeOf(buildLock) ?? Date.now()) > 300_000) fs.rmSync(buildLock, { force: true });
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${buildLock}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  try {
    return await run();
  } finally {
    fs.rmSync(buildLock, { force: true });
  }
}

/**
 * Builds the client (production into dist/client, as scripts/setup.sh does; test into
 * dist/client-test) when it is missing or older than its sources. The build goes to a scratch
 * directory first and is then swapped in, so a server already serving it never sees it half written.
 */
export async function ensureClientBuilt(build: ClientBuild = 'production'): Promise<void> {
  if (clientIsFresh(build)) return;
  const { dir, stamp, mode } = builds[build];
  await withBuildLock(async () => {
    if (clientIsFresh(build)) return; // built by someone else while we waited
    const scratch = path.join(repo, `dist/.client-build-${process.pid}-${randomBytes(3).toString('hex')}`);
    const stampNew = `${stamp}.${process.pid}`;
    fs.writeFileSync(stampNew, '');
    try {
      await promisify(execFile)('npx', ['--no', '--', 'vite', 'build', '--mode', mode, '--outDir', scratch, '--emptyOutDir', '--logLevel', 'warn'], {
        cwd: repo,
        // As from a shell (scripts/setup.sh): vitest sets NODE_ENV=test, which a build would inherit and
        // come out unminified in parts (11 kB gzipped more for the join page and room).
        env: { ...process.env, NODE_ENV: 'production' },
        maxBuffer: 16 * 1024 * 1024,
      });
    } catch (error) {
      fs.rmSync(scratch, { recursive: true, force: true });
      fs.rmSync(stampNew, { force: true });
      const { stdout, stderr } = error as { stdout?: string; stderr?: string };
      throw new Error(`vite build failed:\n${stdout ?? ''}${stderr ?? ''}`);
    }
    const old = `${dir}.old-${process.pid}`;
    if (fs.existsSync(dir)) fs.renameSync(dir, old);
    fs.renameSync(scratch, dir);
    fs.rmSync(old, { recursive: true, force: true });
    fs.renameSync(stampNew, stamp);
  });
}

export interface ChromiumOptions {
  /** A WAV file the fake microphone plays (looped) instead of Chromium's constant beeps. */
  fakeAudioFile?: string;
  /**
   * 'none': no fake camera or microphone, so the machine has none at all (getUserMedia fails
   * with NotFoundError, as on a phone without them).
   */
  devices?: 'fake' | 'none';
  /**
   * 'accept' (default): every camera and microphone prompt is accepted. 'deny': the prompts
   * are refused, as a person tapping "block" would: only what a context grants with
   * `context.grantPermissions(['microphone'])` is allowed (getUserMedia fails with
   * NotAllowedError for the rest).
   */
  prompts?: 'accept' | 'deny';
  /** Another executable that runs Chromium (e.g. NetworkNamespace.chromiumWrapper()). */
  executablePath?: string;
  /** More command-line switches. */
  args?: string[];
}

/** Headless Debian Chromium with fake camera and microphone; never a downloaded browser. */
export function launchChromium(options: ChromiumOptions = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: options.executablePath ?? chromiumPath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      ...(options.devices === 'none' ? [] : ['--use-fake-device-for-media-stream']),
      // Without it, headless Chromium refuses permission prompts by itself.
      ...(options.prompts === 'deny' ? [] : ['--use-fake-ui-for-media-stream']),
      ...(options.fakeAudioFile ? [`--use-file-for-fake-audio-capture=${options.fakeAudioFile}`] : []),
      ...(options.args ?? []),
    ],
  });
}

/**
 * A WAV file that sounds like talk with pauses: each second, 0.4 s of a voiced tone (a 160 Hz
 * fundamental and harmonics) then 0.6 s of silence. Silences let Opus DTX show; every second
 * still carries energy.
 */
export function writeSpeechLikeWav(file: string, seconds = 10, voicedShare = 0.4): string {
  const rate = 48_000;
  const samples = rate * seconds;
  const data = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i += 1) {
    const t = (i % rate) / rate;
    let value = 0;
    if (t < voicedShare) {
      // Talk spurts of voicedShare s each second; at 1, voice without pauses (its loudness still moves).
      const envelope = voicedShare >= 1 ? 0.6 + 0.4 * Math.sin(2 * Math.PI * t) : Math.sin((Math.PI * t) / voicedShare);
      for (const [harmonic, weight] of [[1, 0.6], [2, 0.3], [3, 0.2], [5, 0.1]] as const) value += weight * Math.sin(2 * Math.PI * 160 * harmonic * (i / rate));
      value *= 0.5 * envelope;
    }
    data.writeInt16LE(Math.round(Math.max(-1, Math.min(1, value)) * 32_767), i * 2);
  }
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVE', 8);
  header.write('fmt ', 12);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(data.length, 40);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, Buffer.concat([header, data]));
  return file;
}

export interface E2eServer {
  baseUrl: string;
  app: App;
  database: Awaited<ReturnType<typeof createTestDatabase>>;
  /** The mediasoup workers when started with `media: true`. */
  pool: WorkerPool | null;
  /** The UDP relay all browser media goes through, when started with `media: 'relayed'`. */
  relay: MediaRelay | null;
  /** Where the server keeps files (recordings under recordings/). */
  filesDir: string;
  mediator: { username: string; password: string; displayName: string };
  centerName: string;
  /**
   * Stops the server as a deploy would (sockets closed, media workers gone) and starts a new
   * one on the same database, port and keys: clients must find their way back by themselves.
   */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export interface E2eServerOptions {
  /**
   * Start one real mediasoup worker (its WebRtcServer on ports the OS picks); 'relayed' also
   * puts a UDP relay in front of it, so a test can cut one browser's media path;
   * `{ announcedAddress }`: the worker listens on 127.0.0.1 but announces that address (where
   * the caller puts a relay of its own, e.g. tests/helpers/delay-relay.ts).
   */
  media?: MediaMode;
  /** How long a dropped participant keeps their place (default five minutes). */
  reconnectGraceMs?: number;
  /** RFC 3161 client (tests/helpers/tsa.ts): seals carry a trusted timestamp. */
  timestamper?: Timestamper;
  /** The TSA certificates/CAs trusted (as HAIQIAO_TSA_TRUST_FILE). */
  tsaTrust?: AppDeps['tsaTrust'];
  /** TURN servers (and their shared secret) handed to admitted participants. */
  turn?: TurnSettings;
  /** Session recording settings (e.g. short segments). */
  recording?: AppDeps['recording'];
}

type MediaMode = boolean | 'relayed' | { announcedAddress: string };

async function startMedia(mode: MediaMode | undefined): Promise<{ pool: WorkerPool | null; relay: MediaRelay | null }> {
  if (!mode) return { pool: null, relay: null };
  const relayed = mode === 'relayed';
  const announcedAddress = relayed ? relayAddress : typeof mode === 'object' ? mode.announcedAddress : undefined;
  // Port 0: the worker picks free ports, so parallel test files never collide.
  const pool = await WorkerPool.start({ size: 1, webRtcServer: { listenIp: '127.0.0.1', firstPort: 0, ...(announcedAddress ? { announcedAddress } : {}) } });
  if (!relayed) return { pool, relay: null };
  try {
    const worker = pool.workers[0]!;
    const dump = await pool.webRtcServerOf(worker)!.dump();
    return { pool, relay: await MediaRelay.start(dump.udpSockets.map((s) => s.port)) };
  } catch (error) {
    pool.close();
    throw error;
  }
}

/**
 * The real server in this process, serving the built client from dist/client, on a fresh
 * database holding one mediation center and one mediator account.
 */
export async function startE2eServer(options: E2eServerOptions = {}): Promise<E2eServer> {
  await ensureClientBuilt('test');
  const database = await createTestDatabase();
  const cipher = createIdNumberCipher(randomBytes(32));
  let pool: WorkerPool | null = null;
  let relay: MediaRelay | null = null;
  let app: App | null = null;
  const filesDir = fs.mkdtempSync(path.join(os.tmpdir(), 'haiqiao-e2e-files-'));
  const build = async () =>
    buildApp({
      database,
      cipher,
      media: pool,
      loginRatePerMinute: 1000,
      ...(options.reconnectGraceMs !== undefined ? { reconnectGraceMs: options.reconnectGraceMs } : {}),
      ...(options.timestamper ? { timestamper: options.timestamper } : {}),
      ...(options.tsaTrust ? { tsaTrust: options.tsaTrust } : {}),
      clientDir: clientDirOf('test'), // with the test handle (window.__haiqiaoRoom)
      ...(options.turn ? { turn: createTurnCredentials(options.turn) } : {}),
      ...(options.recording ? { recording: options.recording } : {}),
      filesDir,
    });
  try {
    ({ pool, relay } = await startMedia(options.media));
    app = await build();
    const centerName = '浙闽海上矛盾纠纷联调中心';
    const center = await createOrganisation(database.db, null, { kind: 'mediation_center', name: centerName, caseNumberPrefix: '浙闽联调' });
    const mediator = { username: 'lin.mediator', password: 'e2e-password-2026', displayName: '林调解员' };
    await createStaffUser(database.db, null, { organisationId: center.id as OrganisationId, username: mediator.username, displayName: mediator.displayName, role: 'mediator', password: mediator.password });
    const baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
    const server: E2eServer = {
      baseUrl,
      app,
      database,
      pool,
      relay,
      filesDir,
      mediator,
      centerName,
      async restart() {
        await server.app.close();
        server.pool?.close();
        server.relay?.close();
        ({ pool, relay } = await startMedia(options.media));
        Object.assign(server, { pool, relay });
        server.app = await build();
        await server.app.listen({ host: '127.0.0.1', port: Number(new URL(baseUrl).port) });
      },
      async close() {
        await server.app.close();
        server.pool?.close();
        server.relay?.close();
        await database.drop();
        fs.rmSync(filesDir, { recursive: true, force: true });
      },
    };
    return server;
  } catch (error) {
    await app?.close().catch(() => {});
    pool?.close();
    relay?.close();
    await database.drop().catch(() => {});
    throw error;
  }
}

/** Uncaught exceptions thrown in a page; a test should end with none. */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`${page.url()}: ${error.stack ?? error.message}`));
  // Anything the Content-Security-Policy blocked (a script, a style, an image, a frame) is an error too.
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) errors.push(`${page.url()}: ${message.text()}`);
  });
  return errors;
}

/** Full-page screenshot into test-results/ (gitignored); returns the path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(resultsDir, { recursive: true });
  const file = path.join(resultsDir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
