/**
 * Full disk under one recording track, at the writer (real ffmpeg, no media worker): a
 * synthetic VP8 sender feeds a TrackWriter writing 1 s Matroska segments onto a small tmpfs,
 * then something else fills the disk. ffmpeg lists the segment it could not finish (it did so
 * with a 0-byte or cut file when tried by hand); the writer must not report it as a segment,
 * must remove it, and must say storage_full. Every segment it did report is complete, hashes
 * as reported and decodes. (recording-full-disk.test.ts does the same through a live room.)
 */
import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Capture, senderRtpParameters, SyntheticSender } from '../../../bench/lib/rtp-source.ts';
import { isCompleteMatroska } from '../../../server/media/matroska-check.ts';
import { type FinishedSegment, sha256File, TrackWriter, type WriterFailure } from '../../../server/media/track-writer.ts';
import { probe, sleep, testCapture } from '../recording/recording-helpers.ts';

let capture: Capture;
let dir: string;

beforeAll(async () => {
  capture = await testCapture();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haiqiao-writer-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=3m,mode=0700', 'tmpfs', dir]);
}, 120_000);
afterAll(() => {
  execFileSync('umount', [dir]);
  fs.rmSync(dir, { recursive: true, force: true });
});

async function until(what: string, check: () => boolean, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

it('the disk fills under a writing track: storage_full, the unfinished segment is neither reported nor left, the reported ones verify', async () => {
  const segments: FinishedSegment[] = [];
  const failures: { reason: WriterFailure; detail: string }[] = [];
  const discarded: string[] = [];
  const ssrc = { audio: 3_000_000, video: 3_000_001 };
  const trackDir = path.join(dir, 'track');
  const { writer, port } = await TrackWriter.start(trackDir, 'video', senderRtpParameters(ssrc).video, 1, {
    segment: (segment) => void segments.push(segment),
    failed: (reason, detail) => void failures.push({ reason, detail }),
    discarded: (file) => void discarded.push(file),
  });
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const sender = new SyntheticSender(socket, capture, ssrc, { ip: '127.0.0.1', port }, { index: 0, of: 1 });
  await sleep(300); // ffmpeg opens its port
  sender.start(performance.now());
  writer.flowStarted();
  const timer = setInterval(() => sender.tick(performance.now()), 5);
  const filler = path.join(dir, 'filler');
  try {
    await until('two segments', () => segments.length >= 2);
    const fd = fs.openSync(filler, 'w');
    try {
      const block = Buffer.alloc(16 * 1024, 1);
      for (;;) fs.writeSync(fd, block);
    } catch (error) {
      expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
    } finally {
      fs.closeSync(fd);
    }
    await until('the writer to fail', () => failures.length > 0);
  } finally {
    clearInterval(timer);
    socket.close();
    await writer.stop();
  }

  expect(failures.map((f) => f.reason)).toEqual(['storage_full']);
  const onDisk = fs.readdirSync(trackDir).filter((f) => f.endsWith('.mkv')).sort();
  expect(onDisk).toEqual(segments.map((s) => path.basename(s.relativePath)).sort());
  for (const segment of segments) {
    const file = path.join(trackDir, path.basename(segment.relativePath));
    expect(fs.statSync(file).size).toBe(segment.bytes);
    expect(await sha256File(file)).toBe(segment.sha256);
    expect(await isCompleteMatroska(file)).toBe(true);
    expect(await probe(file)).toMatchObject({ codec: 'vp8', decodes: true });
  }
  // ffmpeg listed an unfinished segment as it gave up: not reported, and removed.
  expect(discarded.length).toBeGreaterThanOrEqual(1);
  for (const file of discarded) expect(fs.existsSync(path.join(trackDir, file))).toBe(false);
}, 120_000);
