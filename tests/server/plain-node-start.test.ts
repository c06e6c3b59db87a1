/**
 * The server runs on plain Node (its own type stripping, no TypeScript loader): `node server/main.ts`
 * on the embedded PGlite database in a fresh data directory, with one real mediasoup worker,
 * answers /api/health with 200.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/** A port free for both TCP and UDP (the worker's WebRTC server listens on both). */
async function freeRtcPort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
      server.on('error', reject);
    });
    if (port < 1024 || port > 65000) continue;
    const udpFree = await new Promise<boolean>((resolve) => {
      const socket = createSocket('udp4');
      socket.once('error', () => resolve(false));
      socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
    });
    if (udpFree) return port;
  }
  throw new Error('no free port for the WebRTC server');
}

/** Resolves with the first stdout line matching `pattern`; rejects if the process exits first. */
function waitForLine(child: ChildProcess, pattern: RegExp, output: string[]): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let newline = buffer.indexOf('\n');
      while (newline >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        output.push(line);
        const match = line.match(pattern);
        if (match) resolve(match);
        newline = buffer.indexOf('\n');
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.once('exit', (code, signal) => reject(new Error(`server exited (${code ?? signal}) before "${pattern}":\n${output.join('\n')}`)));
  });
}

describe('plain-node start', () => {
  let child: ChildProcess | undefined;
  let dataDir: string | undefined;

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('node server/main.ts, with no loader, serves /api/health on PGlite', async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'haiqiao-plain-node-'));
    // Nothing inherited that could bring a loader or another database in.
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
    Object.assign(env, {
      HOST: '127.0.0.1',
      PORT: '0',
      HAIQIAO_DATA_DIR: dataDir,
      HAIQIAO_MEDIA_WORKERS: '1',
      HAIQIAO_RTC_PORT: String(await freeRtcPort()),
      HAIQIAO_SEED_DEMO: 'false',
      LOG_LEVEL: 'warn',
    });
    child = spawn(process.execPath, ['server/main.ts'], { cwd: process.cwd(), env, stdio: ['ignore', 'pipe', 'pipe'] });
    const output: string[] = [];
    const [, url] = await waitForLine(child, /listening on (http:\/\/127\.0\.0\.1:\d+)/, output);

    const response = await fetch(`${url}/api/health`);
    expect(response.status).toBe(200);
    const health = await response.json();
    expect(health).toMatchObject({ status: 'ok', database: { ok: true, driver: 'pglite' }, media: { ok: true, workers: 1, alive: 1 } });
    expect(output.join('\n')).toContain(`embedded PGlite in ${dataDir}`);
    expect(output.join('\n')).not.toMatch(/ERR_UNKNOWN_FILE_EXTENSION|ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX/);
  }, 180_000);
});
