import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  defaultWorkerBinaryPath,
  installedMediasoupVersion,
  resolveWorkerBinary,
} from '../../../server/media/worker-binary.ts';

describe('resolveWorkerBinary', () => {
  let dir: string;
  let bin: string;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haiqiao-worker-bin-'));
    bin = path.join(dir, 'mediasoup-worker');
    fs.copyFileSync(defaultWorkerBinaryPath(), bin);
    fs.chmodSync(bin, 0o755);
  });

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('finds the installed worker at mediasoup’s default path, matching the installed version', async () => {
    const found = resolveWorkerBinary({ env: {} });
    expect(found.path).toBe(defaultWorkerBinaryPath());
    expect(found.path).toMatch(/node_modules\/mediasoup\/worker\/out\/Release\/mediasoup-worker$/);
    const mediasoup = await import('mediasoup');
    expect(found.version).toBe(mediasoup.version);
    expect(installedMediasoupVersion()).toBe(mediasoup.version);
  });

  it('uses MEDIASOUP_WORKER_BIN when its sidecar names the installed version', () => {
    fs.writeFileSync(`${bin}.version`, `${installedMediasoupVersion()}\n`);
    expect(resolveWorkerBinary({ env: { MEDIASOUP_WORKER_BIN: bin } })).toEqual({
      path: bin,
      version: installedMediasoupVersion(),
    });
  });

  it('refuses a worker whose sidecar names another version', () => {
    fs.writeFileSync(`${bin}.version`, '3.0.0\n');
    expect(() => resolveWorkerBinary({ env: { MEDIASOUP_WORKER_BIN: bin } })).toThrow(
      /built for mediasoup 3\.0\.0 but mediasoup \d+\.\d+\.\d+ is installed/,
    );
  });

  it('refuses a worker without a sidecar', () => {
    fs.rmSync(`${bin}.version`, { force: true });
    expect(() => resolveWorkerBinary({ env: { MEDIASOUP_WORKER_BIN: bin } })).toThrow(/has no version file/);
  });

  it('refuses a missing binary', () => {
    expect(() => resolveWorkerBinary({ env: { MEDIASOUP_WORKER_BIN: path.join(dir, 'nope') } })).toThrow(
      /not found or not executable/,
    );
  });

  it('checks against an explicit expected version', () => {
    fs.writeFileSync(`${bin}.version`, `${installedMediasoupVersion()}\n`);
    expect(() =>
      resolveWorkerBinary({ env: { MEDIASOUP_WORKER_BIN: bin }, expectedVersion: '9.9.9' }),
    ).toThrow(/but mediasoup 9\.9\.9 is installed/);
  });
});
