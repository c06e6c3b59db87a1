// One track (one producer) written by ffmpeg into independent ~10 s Matroska segments. ffmpeg
// reads the tap's RTP from a local UDP port described by an SDP file and copies the packets
// (no re-encoding) into segments; each one is a complete file that plays alone, so a crash loses
// at most the segment being written. ffmpeg only; no mediasoup, no database.
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { createReadStream } from 'node:fs';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { types } from 'mediasoup';
import { isCompleteMatroska } from './matroska-check.ts';
import { speechActivity } from './speech-activity.ts';

export interface FinishedSegment {
  /** Path relative to the writer's directory's parent (`<writer dir name>/<n>.mkv`). */
  relativePath: string;
  bytes: number;
  sha256: string;
  startedAt: Date;
  endedAt: Date;
  /** Audio: where there is speech, [from, to] ms from the start (speech-activity.ts); null for video or if ffmpeg could not tell. */
  speech: [number, number][] | null;
}

export type WriterFailure = 'storage_full' | 'writer_failed';

export interface TrackWriterEvents {
  segment(segment: FinishedSegment): Promise<void> | void;
  /** ffmpeg ended by itself (not by stop()): why, as far as its output tells. */
  failed(reason: WriterFailure, detail: string): void;
  /** A segment ffmpeg listed but could not complete (removed, not reported as a segment). */
  discarded?(file: string): void;
}

const gracefulStopMs = 5000;
const idleStopMs = 2000;

/** Two free consecutive UDP ports on loopback: ffmpeg's RTP port and the RTCP port next to it it also opens. */
export async function freePortPair(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const first = createSocket('udp4');
    const port = await new Promise<number>((resolve, reject) => {
      first.once('error', reject);
      first.bind(0, '127.0.0.1', () => resolve(first.address().port));
    });
    const second = createSocket('udp4');
    const ok = await new Promise<boolean>((resolve) => {
      second.once('error', () => resolve(false));
      second.bind(port + 1, '127.0.0.1', () => resolve(true));
    });
    first.close();
    if (ok) second.close();
    if (ok && port % 2 === 0) return port;
  }
  throw new Error('no free UDP port pair for the recorder');
}

/** The SDP ffmpeg reads: one media line for the tap's codec, RTCP muxed on the RTP port. */
export function sdpFor(kind: 'audio' | 'video', port: number, rtp: types.RtpParameters): string {
  const codec = rtp.codecs[0];
  if (!codec) throw new Error('the tap has no codec');
  const name = codec.mimeType.split('/')[1]!;
  const rtpmap = `${name}/${codec.clockRate}${codec.channels && codec.channels > 1 ? `/${codec.channels}` : ''}`;
  const fmtp = Object.entries(codec.parameters ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(';');
  return [
    'v=0',
    'o=- 0 0 IN IP4 127.0.0.1',
    's=haiqiao-recording',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    `m=${kind} ${port} RTP/AVP ${codec.payloadType}`,
    'a=rtcp-mux',
    `a=rtpmap:${codec.payloadType} ${rtpmap}`,
    ...(fmtp ? [`a=fmtp:${codec.payloadType} ${fmtp}`] : []),
    'a=recvonly',
    '',
  ].join('\r\n');
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Starts ffmpeg on a fresh port. Call `stop()` to end it: ffmpeg closes the segment in progress
 * as a complete file, and `stop()` resolves once every finished segment has been reported.
 */
export class TrackWriter {
  readonly #events: TrackWriterEvents;
  readonly #dir: string;
  readonly #kind: 'audio' | 'video';
  readonly #process: ChildProcess;
  #startedAt: number;
  readonly #exited: Promise<void>;
  #pending: Promise<void> = Promise.resolve();
  #stopping = false;
  #stderrTail = '';

  private constructor(dir: string, kind: 'audio' | 'video', child: ChildProcess, events: TrackWriterEvents) {
    this.#dir = dir;
    this.#kind = kind;
    this.#process = child;
    this.#events = events;
    this.#startedAt = Date.now();
    // Each line of the segment list is written when a segment is complete: "file,start,end".
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      this.#pending = this.#pending.then(() => this.#report(line)).catch(() => undefined);
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      this.#stderrTail = (this.#stderrTail + chunk.toString('utf8')).slice(-2000);
    });
    this.#exited = new Promise((resolve) => {
      child.once('close', (code, signal) => {
        if (!this.#stopping) {
          const full = /No space left on device/i.test(this.#stderrTail);
          events.failed(full ? 'storage_full' : 'writer_failed', `ffmpeg exited (${code ?? signal}): ${this.#stderrTail.trim().split('\n').at(-1) ?? ''}`);
        }
        resolve();
      });
    });
  }

  /** `dir` must not exist yet or be empty: the writer numbers its segments from 00000. */
  static async start(dir: string, kind: 'audio' | 'video', rtp: types.RtpParameters, segmentSeconds: number, events: TrackWriterEvents): Promise<{ writer: TrackWriter; port: number }> {
    await mkdir(dir, { recursive: true });
    const port = await freePortPair();
    const sdpFile = path.join(dir, 'track.sdp');
    await writeFile(sdpFile, sdpFor(kind, port, rtp));
    const child = spawn(
      'ffmpeg',
      [
        ...['-hide_banner', '-loglevel', 'error', '-nostdin'],
        ...['-protocol_whitelist', 'file,udp,rtp', '-reorder_queue_size', '64', '-i', sdpFile],
        ...['-map', '0', '-c', 'copy'],
        ...['-f', 'segment', '-segment_time', String(segmentSeconds), '-segment_format', 'matroska', '-reset_timestamps', '1'],
        ...['-segment_list', 'pipe:1', '-segment_list_type', 'csv'],
        path.join(dir, '%05d.mkv'),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    return { writer: new TrackWriter(dir, kind, child, events), port };
  }

  /** The media starts flowing now: segment times count from here (ffmpeg's clock starts at the first packet). */
  flowStarted(): void {
    this.#startedAt = Date.now();
  }

  get pid(): number | undefined {
    return this.#process.pid;
  }

  async #report(line: string): Promise<void> {
    const [file, start, end] = line.split(',');
    if (!file || start === undefined || end === undefined) return;
    const absolute = path.join(this.#dir, path.basename(file));
    // ffmpeg lists a segment it could not finish too (the disk filled while it wrote it): such a
    // file is no recording; it is removed, never stored with a hash as if it were one.
    if (!(await isCompleteMatroska(absolute).catch(() => false))) {
      await rm(absolute, { force: true });
      this.#events.discarded?.(path.basename(file));
      return;
    }
    const durationMs = Math.max(0, Math.round((Number(end) - Number(start)) * 1000));
    const [info, sha256, speech] = await Promise.all([
      stat(absolute),
      sha256File(absolute),
      // Speech is a reading aid for the timeline: a failed analysis stores the segment without it.
      this.#kind === 'audio' ? speechActivity(absolute, durationMs).catch(() => null) : null,
    ]);
    await this.#events.segment({
      relativePath: path.join(path.basename(this.#dir), path.basename(file)),
      bytes: info.size,
      sha256,
      startedAt: new Date(this.#startedAt + Number(start) * 1000),
      endedAt: new Date(this.#startedAt + Number(end) * 1000),
      speech,
    });
  }

  /** Ends ffmpeg cleanly (SIGINT: the segment in progress is closed and listed), then reports the rest. */
  async stop(): Promise<void> {
    this.#stopping = true;
    if (this.#process.exitCode === null && this.#process.signalCode === null) {
      // SIGINT ends ffmpeg at its next packet, closing and listing the segment in progress (so
      // stop before the tap closes). With no packet coming (a muted producer, a dead worker) it
      // waits in its read, which only a second signal interrupts: that segment is then lost.
      this.#process.kill('SIGINT');
      const again = setTimeout(() => this.#process.kill('SIGINT'), idleStopMs);
      const timer = setTimeout(() => this.#process.kill('SIGKILL'), gracefulStopMs);
      await this.#exited;
      clearTimeout(again);
      clearTimeout(timer);
    }
    await this.#pending;
  }

  /** Ends ffmpeg at once, as a crash would: the segment in progress is lost (its partial file has no row). */
  abandon(): void {
    this.#stopping = true;
    this.#process.kill('SIGKILL');
  }
}
