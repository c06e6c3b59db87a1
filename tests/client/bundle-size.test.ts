/**
 * The join page's JavaScript on the built files: what a participant's phone downloads from
 * opening the invitation link to being in the room (the entry chunk and its static imports,
 * then the room chunk and its static imports) stays at or under 150 KB gzipped. The chunk graph
 * comes from Vite's build manifest, not from guessed file names.
 */
import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureClientBuilt } from '../helpers/browser.ts';

const clientDir = path.resolve(import.meta.dirname, '../../dist/client');
const budgetBytes = 150_000; // 150 kB, as Vite counts (1 kB = 1000 bytes)

interface Chunk {
  file: string;
  src?: string;
  isEntry?: boolean;
  imports?: string[];
  dynamicImports?: string[];
}
type Manifest = Record<string, Chunk>;

let manifest: Manifest;

/** A chunk and everything it imports statically (the browser fetches them together). */
function withStaticImports(key: string, into = new Set<string>()): Set<string> {
  if (into.has(key)) return into;
  into.add(key);
  for (const imported of manifest[key]?.imports ?? []) withStaticImports(imported, into);
  return into;
}

const gzipped = (key: string) => gzipSync(fs.readFileSync(path.join(clientDir, manifest[key]!.file)), { level: 9 }).length;
const sumOf = (keys: Iterable<string>) => [...keys].filter((k) => manifest[k]!.file.endsWith('.js')).reduce((n, k) => n + gzipped(k), 0);
const codeOf = (keys: Iterable<string>) => [...keys].map((k) => fs.readFileSync(path.join(clientDir, manifest[k]!.file), 'utf8')).join('\n');

describe('the join page download', () => {
  beforeAll(async () => {
    await ensureClientBuilt();
    manifest = JSON.parse(fs.readFileSync(path.join(clientDir, '.vite/manifest.json'), 'utf8')) as Manifest;
  }, 180_000);

  it('entry chunk + room chunk, each with its static imports, is at most 150 kB gzipped', () => {
    const [entry, ...others] = Object.keys(manifest).filter((k) => manifest[k]!.isEntry);
    expect(entry, 'one entry (index.html)').toBeDefined();
    expect(others).toEqual([]);
    const page = withStaticImports(entry!);

    // The room is loaded on entering: a dynamic import from the page's own chunks.
    const room = Object.keys(manifest).find((k) => manifest[k]!.src?.endsWith('room/RoomApp.svelte'));
    expect(room, 'the room chunk').toBeDefined();
    expect([...page].some((k) => manifest[k]!.dynamicImports?.includes(room!)), 'the join page imports the room on demand').toBe(true);
    const roomChunks = withStaticImports(room!);

    // The measured files really are the join page and the room (not an empty walk).
    const code = codeOf([...page, ...roomChunks]);
    for (const marker of ['join-enter', 'device-check-continue', 'createRecvTransport', 'emitWithAck']) expect(code).toContain(marker);
    // The mediator's host panel is not part of a participant's download.
    const host = Object.keys(manifest).find((k) => manifest[k]!.src?.endsWith('room/host/HostPanel.svelte'));
    if (host) expect([...page, ...roomChunks]).not.toContain(host);

    const all = new Set([...page, ...roomChunks]);
    const pageBytes = sumOf(page);
    const roomBytes = sumOf([...roomChunks].filter((k) => !page.has(k)));
    const total = sumOf(all);
    console.log(`join page ${(pageBytes / 1000).toFixed(1)} kB + room ${(roomBytes / 1000).toFixed(1)} kB = ${(total / 1000).toFixed(1)} kB gzipped (budget ${budgetBytes / 1000} kB)`);
    expect(total).toBe(pageBytes + roomBytes);
    expect(total).toBeLessThanOrEqual(budgetBytes);
  });
});
