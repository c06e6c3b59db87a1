// Records the producers of chosen spaces of one MediaRoom: one tap (media-tap.ts) and one ffmpeg
// writer (track-writer.ts) per producer, each participant's audio and video as its own track.
// It follows the room: a new producer in a recorded space gets a writer, a producer that closes
// or leaves the recorded spaces has its writer stopped. mediasoup and ffmpeg only: what a
// segment means for the case is the owner's business (RecorderListener).
import { randomBytes } from 'node:crypto';
import { mkdir, statfs } from 'node:fs/promises';
import path from 'node:path';
import type { MediaRoom, ProducerInfo } from './media-room.ts';
import type { MediaTap } from './media-tap.ts';
import { type FinishedSegment, TrackWriter, type WriterFailure } from './track-writer.ts';

export type RecordedTrack = ProducerInfo;

export interface RecorderListener {
  /** A finished segment (complete file, hashed). Its promise is awaited by stop(). */
  segment(track: RecordedTrack, segment: FinishedSegment): Promise<void>;
  /** A track could not be (or stopped being) recorded: disk full, ffmpeg failed, tap failed. */
  trackFailed(track: RecordedTrack, reason: WriterFailure, detail: string): void;
}

export interface RecorderOptions {
  /** Directory of this recording; each track writes into a subdirectory of its own. */
  dir: string;
  segmentSeconds: number;
  /** Below this much free space no new track starts (storage_full). */
  minFreeBytes: number;
  /** How long ffmpeg gets to open its port before the tap starts sending. */
  listenDelayMs?: number;
}

interface ActiveTrack {
  track: RecordedTrack;
  tap: MediaTap | null;
  writer: TrackWriter | null;
  stopping: Promise<void> | null;
}

export class Recorder {
  readonly #media: MediaRoom;
  readonly #listener: RecorderListener;
  readonly #options: RecorderOptions;
  readonly #tracks = new Map<string, ActiveTrack>();
  /** Writers being stopped: stop() waits for their last segments. */
  readonly #ending = new Set<Promise<void>>();
  readonly #unwatch: () => void;
  readonly #keyFrameTimer: NodeJS.Timeout;
  #spaces: ReadonlySet<string>;
  #queue: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(media: MediaRoom, spaces: ReadonlySet<string>, listener: RecorderListener, options: RecorderOptions) {
    this.#media = media;
    this.#spaces = spaces;
    this.#listener = listener;
    this.#options = options;
    this.#unwatch = media.watchProducers(() => void this.sync());
    // Segments of copied video can only start on a key frame: ask for one per segment.
    this.#keyFrameTimer = setInterval(() => {
      for (const { tap } of this.#tracks.values()) void tap?.requestKeyFrame().catch(() => undefined);
    }, options.segmentSeconds * 1000);
    void this.sync();
  }

  /** The media room this recorder follows (a new one after a worker died needs a new recorder). */
  get media(): MediaRoom {
    return this.#media;
  }

  /** Producers recorded right now (for tests and diagnostics). */
  get recordedProducers(): string[] {
    return [...this.#tracks.keys()];
  }

  /** Which spaces are recorded (the joint room, and caucuses the mediator chose). */
  setSpaces(spaces: ReadonlySet<string>): Promise<void> {
    this.#spaces = spaces;
    return this.sync();
  }

  /** Brings the tracks in line with the room's producers; serialised. */
  sync(): Promise<void> {
    this.#queue = this.#queue.then(() => this.#sync()).catch(() => undefined);
    return this.#queue;
  }

  async #sync(): Promise<void> {
    if (this.#stopped) return;
    const wanted = new Map(this.#media.closed ? [] : this.#media.allProducers().filter((p) => this.#spaces.has(p.space)).map((p) => [p.producerId, p]));
    for (const [producerId, active] of this.#tracks) {
      const now = wanted.get(producerId);
      if (!now || now.space !== active.track.space) this.#end(producerId, active);
    }
    for (const [producerId, track] of wanted) if (!this.#tracks.has(producerId)) await this.#begin(track);
  }

  async #begin(track: RecordedTrack): Promise<void> {
    const active: ActiveTrack = { track, tap: null, writer: null, stopping: null };
    this.#tracks.set(track.producerId, active);
    try {
      await mkdir(this.#options.dir, { recursive: true });
      const free = await statfs(this.#options.dir).then((s) => s.bavail * s.bsize);
      if (free < this.#options.minFreeBytes) {
        this.#tracks.delete(track.producerId);
        this.#listener.trackFailed(track, 'storage_full', `only ${free} bytes free in the recordings directory`);
        return;
      }
      // The tap is created paused first: its parameters (payload type, codec) go into ffmpeg's SDP.
      const tap = await this.#media.openTap(track.producerId);
      active.tap = tap;
      const name = `${track.peerId}.${track.source}.${Date.now()}-${randomBytes(3).toString('hex')}`;
      const { writer, port } = await TrackWriter.start(path.join(this.#options.dir, name), track.kind, tap.rtpParameters, this.#options.segmentSeconds, {
        segment: (segment) => this.#listener.segment(track, segment),
        failed: (reason, detail) => {
          if (this.#tracks.get(track.producerId) === active) this.#tracks.delete(track.producerId);
          active.tap?.close();
          this.#listener.trackFailed(track, reason, detail);
        },
      });
      active.writer = writer;
      await tap.connect({ ip: '127.0.0.1', port });
      // The producer closed, or the router went (worker death): this track's writer ends cleanly.
      tap.onClosed(() => {
        if (this.#tracks.get(track.producerId) === active) this.#end(track.producerId, active);
      });
      await new Promise((resolve) => setTimeout(resolve, this.#options.listenDelayMs ?? 300));
      if (tap.closed || this.#tracks.get(track.producerId) !== active) return;
      writer.flowStarted();
      await tap.resume();
      await tap.requestKeyFrame();
    } catch (error) {
      if (this.#tracks.get(track.producerId) === active) this.#end(track.producerId, active);
      this.#listener.trackFailed(track, 'writer_failed', error instanceof Error ? error.message : String(error));
    }
  }

  #end(producerId: string, active: ActiveTrack): void {
    this.#tracks.delete(producerId);
    // The writer first: ffmpeg closes its segment on the next packet, so the tap stays open till then.
    active.stopping ??= (active.writer?.stop() ?? Promise.resolve()).finally(() => active.tap?.close());
    this.#ending.add(active.stopping);
    void active.stopping.finally(() => this.#ending.delete(active.stopping!));
  }

  /** Ends every track cleanly; resolves once every finished segment has been reported. */
  async stop(): Promise<void> {
    await this.#queue;
    this.#halt();
    for (const [producerId, active] of this.#tracks) this.#end(producerId, active);
    await Promise.all([...this.#ending]);
  }

  /** Ends every writer at once, as a crash would (shutdown): segments in progress are lost. */
  abandon(): void {
    this.#halt();
    for (const active of this.#tracks.values()) {
      active.tap?.close();
      active.writer?.abandon();
    }
    this.#tracks.clear();
  }

  #halt(): void {
    this.#stopped = true;
    this.#unwatch();
    clearInterval(this.#keyFrameTimer);
  }
}
