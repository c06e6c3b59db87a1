/**
 * `node server/main.ts` and HAIQIAO_TSA_TRUST_FILE: with a TSA URL and no trust file the start
 * warns (any TSA's tokens would pass); a trust file is named at start; one that cannot be read
 * stops the start. The warning comes before the database is opened, so each start is ended there.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestTsa, type TestTsa } from '../helpers/tsa.ts';

let dataDir: string;
let tsa: TestTsa;
const children: ChildProcess[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'haiqiao-tsa-start-'));
  tsa = await startTestTsa();
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  await tsa?.close();
  await rm(dataDir, { recursive: true, force: true });
});

/** Starts the server until `until` appears in its output (then ends it) or it exits by itself. */
function start(extra: NodeJS.ProcessEnv, until: RegExp): Promise<{ output: string; code: number | null }> {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, HOST: '127.0.0.1', PORT: '0', HAIQIAO_DATA_DIR: dataDir, HAIQIAO_MEDIA_WORKERS: '0', HAIQIAO_SEED_DEMO: 'false', LOG_LEVEL: 'warn', ...extra };
  const child = spawn(process.execPath, ['server/main.ts'], { cwd: process.cwd(), env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  return new Promise((resolve) => {
    const seen = (chunk: Buffer) => {
      output += chunk.toString();
      if (until.test(output)) child.kill('SIGTERM');
    };
    child.stdout!.on('data', seen);
    child.stderr!.on('data', seen);
    child.once('exit', (code) => resolve({ output, code }));
  });
}

describe('HAIQIAO_TSA_TRUST_FILE at start', () => {
  it('a TSA URL without a trust file: a warning that any TSA would pass', async () => {
    const { output } = await start({ HAIQIAO_TSA_URL: tsa.url }, /database: /);
    expect(output).toContain('WARNING: HAIQIAO_TSA_URL is set without HAIQIAO_TSA_TRUST_FILE');
    expect(output).toContain('TSA trust list: none');
  }, 60_000);

  it('with a trust file: its certificates are named, no warning', async () => {
    const { output } = await start({ HAIQIAO_TSA_URL: tsa.url, HAIQIAO_TSA_TRUST_FILE: tsa.caFile }, /database: /);
    expect(output).toContain(`TSA trust list: C=CN, O=Haiqiao Test TSA, CN=Haiqiao test TSA root CA (${tsa.caFile})`);
    expect(output).not.toContain('WARNING');
  }, 60_000);

  it('a trust file that cannot be read, or holds no certificate, stops the start', async () => {
    const missing = await start({ HAIQIAO_TSA_URL: tsa.url, HAIQIAO_TSA_TRUST_FILE: path.join(dataDir, 'none.pem') }, /database: /);
    expect(missing.code).not.toBe(0);
    expect(missing.output).toContain('cannot read the TSA trust file');
    expect(missing.output).not.toContain('database: ');
    const notPem = await start({ HAIQIAO_TSA_TRUST_FILE: path.join(process.cwd(), 'package.json') }, /database: /);
    expect(notPem.code).not.toBe(0);
    expect(notPem.output).toContain('holds no PEM certificate');
  }, 60_000);
});
