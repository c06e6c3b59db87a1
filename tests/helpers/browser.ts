/**
 * End-to-end test support: the built client, the real server listening on a free port with a
 * fresh database, and Debian's Chromium driven through playwright-core (which never downloads
 * a browser of its own here).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type Browser, chromium, type Page } from 'playwright-core';
import { type App, buildApp } from '../../server/app';
import { createOrganisation, createStaffUser } from '../../server/modules/admin/admin.service';
import { createIdNumberCipher } from '../../server/security/id-number-cipher';
import type { OrganisationId } from '../../shared/ids';
import { createTestDatabase } from './test-database';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const resultsDir = path.join(repo, 'test-results');
const clientDir = path.join(repo, 'dist/client');
/** Same stamp as scripts/setup.sh: touched when a build starts, so edits made during it count. */
const buildStamp = path.join(repo, 'dist/.client-build-stamp');
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

function clientIsFresh(): boolean {
  const built = mtimeOf(path.join(clientDir, 'index.html'));
  if (built === null) return false;
  return newestSourceMtime() <= (mtimeOf(buildStamp) ?? built);
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
 * Builds the client into dist/client (as scripts/setup.sh does) when it is missing or older
 * than its sources. The build goes to a scratch directory first and is then swapped in, so a
 * server already serving dist/client never sees it half written.
 */
export async function ensureClientBuilt(): Promise<void> {
  if (clientIsFresh()) return;
  await withBuildLock(async () => {
    if (clientIsFresh()) return; // built by someone else while we waited
    const scratch = path.join(repo, `dist/.client-build-${process.pid}-${randomBytes(3).toString('hex')}`);
    const stampNew = `${buildStamp}.${process.pid}`;
    fs.writeFileSync(stampNew, '');
    try {
      await promisify(execFile)('npx', ['--no', '--', 'vite', 'build', '--outDir', scratch, '--emptyOutDir', '--logLevel', 'warn'], {
        cwd: repo,
        maxBuffer: 16 * 1024 * 1024,
      });
    } catch (error) {
      fs.rmSync(scratch, { recursive: true, force: true });
      fs.rmSync(stampNew, { force: true });
      const { stdout, stderr } = error as { stdout?: string; stderr?: string };
      throw new Error(`vite build failed:\n${stdout ?? ''}${stderr ?? ''}`);
    }
    const old = `${clientDir}.old-${process.pid}`;
    if (fs.existsSync(clientDir)) fs.renameSync(clientDir, old);
    fs.renameSync(scratch, clientDir);
    fs.rmSync(old, { recursive: true, force: true });
    fs.renameSync(stampNew, buildStamp);
  });
}

/** Headless Debian Chromium with fake camera and microphone; never a downloaded browser. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'],
  });
}

export interface E2eServer {
  baseUrl: string;
  app: App;
  database: Awaited<ReturnType<typeof createTestDatabase>>;
  mediator: { username: string; password: string; displayName: string };
  centerName: string;
  close(): Promise<void>;
}

/**
 * The real server in this process, serving the built client from dist/client, on a fresh
 * database holding one mediation center and one mediator account.
 */
export async function startE2eServer(): Promise<E2eServer> {
  await ensureClientBuilt();
  const database = await createTestDatabase();
  let app: App | null = null;
  try {
    app = await buildApp({
      database,
      cipher: createIdNumberCipher(randomBytes(32)),
      media: null,
      loginRatePerMinute: 1000,
      clientDir: undefined, // the default: dist/client
    });
    const centerName = '浙闽海上矛盾纠纷联调中心';
    const center = await createOrganisation(database.db, null, { kind: 'mediation_center', name: centerName, caseNumberPrefix: '浙闽联调' });
    const mediator = { username: 'lin.mediator', password: 'e2e-password-2026', displayName: '林调解员' };
    await createStaffUser(database.db, null, { organisationId: center.id as OrganisationId, username: mediator.username, displayName: mediator.displayName, role: 'mediator', password: mediator.password });
    const baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
    const started = app;
    return {
      baseUrl,
      app: started,
      database,
      mediator,
      centerName,
      async close() {
        await started.close();
        await database.drop();
      },
    };
  } catch (error) {
    await app?.close().catch(() => {});
    await database.drop().catch(() => {});
    throw error;
  }
}

/** Uncaught exceptions thrown in a page; a test should end with none. */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`${page.url()}: ${error.stack ?? error.message}`));
  return errors;
}

/** Full-page screenshot into test-results/ (gitignored); returns the path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(resultsDir, { recursive: true });
  const file = path.join(resultsDir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
