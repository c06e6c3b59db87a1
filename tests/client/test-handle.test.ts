/**
 * The browser tests' handle on a room (window.__haiqiaoRoom: transports, producers, a raw emit)
 * exists only in the test build: the production bundle carries neither the property nor the
 * module that builds it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { clientDirOf, ensureClientBuilt } from '../helpers/browser.ts';

function builtCode(dir: string): string {
  const assets = path.join(dir, 'assets');
  return fs
    .readdirSync(assets)
    .filter((f) => f.endsWith('.js'))
    .map((f) => fs.readFileSync(path.join(assets, f), 'utf8'))
    .join('\n');
}

describe('the room test handle', () => {
  it('is in the test build and not in the production build', async () => {
    await ensureClientBuilt('production');
    await ensureClientBuilt('test');
    const production = builtCode(clientDirOf('production'));
    const test = builtCode(clientDirOf('test'));
    // Both builds contain the room (the same code otherwise).
    expect(production).toContain('media:consumer-new');
    expect(test).toContain('__haiqiaoRoom');
    expect(test).toContain('emitRaw');
    expect(production).not.toContain('__haiqiaoRoom');
    expect(production).not.toContain('emitRaw');
  }, 300_000);
});
