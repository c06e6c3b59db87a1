// Synthetic RTP senders for the SFU benchmark. ffmpeg (Debian's) encodes 10 s of lavfi test
// video (VP8, ~500 kbit/s, 640×360 at 30 fps, a key frame every second) and a sine tone (Opus,
// 20 ms frames) once; the RTP packets are captured and then replayed from Node, in real time,
// by as many senders as needed: a few thousand packets per second cost Node next to nothing,
// whereas one live ffmpeg encode per sender would cost most of a core each.
import { execFile } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { types } from 'mediasoup';

export interface CapturedPacket {
  /** RTP timestamp relative to the stream's first packet. */
  ts: number;
  marker: boolean;
  payload: Buffer;
}

export interface CapturedStream {
  clockRate: number;
  packets: CapturedPacket[];
  /** Distinct frames (RTP timestamps) in the loop: how far the VP8 picture id moves per loop. */
  frames: number;
}

export interface Capture {
  durationSec: number;
  audio: CapturedStream;
  video: CapturedStream;
}

const durationSec = 10;
const cacheFileOf = (audio: CaptureAudio) => path.join(os.tmpdir(), `haiqiao-bench-rtp-v1-${durationSec}s${audio === 'tone' ? '' : `-${audio}`}.json`);
/**
 * The audio of the loop: a continuous tone, or `turns`: the tone in the loop's first quarter
 * and silence after it, so that senders spread over the loop (index / of) speak in turns that
 * the recorded audio itself shows (tests of who-spoke-when).
 */
export type CaptureAudio = 'tone' | 'turns';
const audioSources: Record<CaptureAudio, string> = {
  tone: 'sine=frequency=440:sample_rate=48000',
  turns: `sine=frequency=440:sample_rate=48000,volume=volume='lt(t,${durationSec / 4})':eval=frame`,
};
export const audioPayloadType = 100;
export const videoPayloadType = 101;
/** One-byte header extension id used for ssrc-audio-level (as browsers send it). */
export const audioLevelExtensionId = 10;

/** Producer parameters for one synthetic sender (Opus with audio levels; VP8). */
export function senderRtpParameters(ssrc: { audio: number; video: number }): { audio: types.RtpParameters; video: types.RtpParameters } {
  return {
    audio: {
      codecs: [{ mimeType: 'audio/opus', payloadType: audioPayloadType, clockRate: 48000, channels: 2, parameters: { useinbandfec: 1 } }],
      headerExtensions: [{ uri: 'urn:ietf:params:rtp-hdrext:ssrc-audio-level', id: audioLevelExtensionId }],
      encodings: [{ ssrc: ssrc.audio }],
      rtcp: { cname: `sender-${ssrc.audio}`, reducedSize: true },
    },
    video: {
      codecs: [
        {
          mimeType: 'video/VP8',
          payloadType: videoPayloadType,
          clockRate: 90000,
          rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }],
        },
      ],
      encodings: [{ ssrc: ssrc.video }],
      rtcp: { cname: `sender-${ssrc.audio}`, reducedSize: true },
    },
  };
}

/** Encodes and captures the loop once (about 10 s of ffmpeg CPU), then reuses it from the temp dir. */
export async function loadCapture(log: (line: string) => void, audio: CaptureAudio = 'tone'): Promise<Capture> {
  const cacheFile = cacheFileOf(audio);
  if (fs.existsSync(cacheFile)) {
    const cached = JSON.parse(fs.readFileSync(cacheFile, 'utf8')) as Capture;
    for (const stream of [cached.audio, cached.video]) for (const p of stream.packets) p.payload = Buffer.from(p.payload as unknown as string, 'base64');
    return cached;
  }
  log(`encoding ${durationSec} s of VP8 + Opus test signal with ffmpeg (once; cached in ${cacheFile})`);
  const bind = async () => {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    socket.setRecvBufferSize(4 * 1024 * 1024);
    return socket;
  };
  const [videoSocket, audioSocket, rtcpSocket] = await Promise.all([bind(), bind(), bind()]);
  const received: Record<'audio' | 'video', Buffer[]> = { audio: [], video: [] };
  videoSocket.on('message', (packet) => received.video.push(packet));
  audioSocket.on('message', (packet) => received.audio.push(packet));
  const url = (socket: Socket) => `rtp://127.0.0.1:${socket.address().port}?pkt_size=1200&rtcpport=${rtcpSocket.address().port}`;
  try {
    await promisify(execFile)(
      'ffmpeg',
      [
        ...['-hide_banner', '-loglevel', 'error', '-nostdin'],
        ...['-t', String(durationSec), '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30'],
        ...['-t', String(durationSec), '-f', 'lavfi', '-i', audioSources[audio]],
        ...['-map', '0:v', '-c:v', 'libvpx', '-b:v', '500k', '-deadline', 'realtime', '-cpu-used', '8', '-g', '30', '-payload_type', String(videoPayloadType), '-f', 'rtp', url(videoSocket)],
        ...['-map', '1:a', '-c:a', 'libopus', '-b:a', '32k', '-application', 'voip', '-frame_duration', '20', '-payload_type', String(audioPayloadType), '-f', 'rtp', url(audioSocket)],
      ],
      { timeout: 120_000 },
    ).catch((error: NodeJS.ErrnoException) => {
      throw error.code === 'ENOENT' ? new Error('ffmpeg is needed to encode the test signal once: apt-get install ffmpeg (scripts/setup.sh installs it)') : error;
    });
    await new Promise((r) => setTimeout(r, 200)); // the last datagrams
  } finally {
    for (const socket of [videoSocket, audioSocket, rtcpSocket]) socket.close();
  }
  const capture: Capture = { durationSec, audio: parseStream(received.audio, 48000, 'audio'), video: parseStream(received.video, 90000, 'video') };
  const serialisable = (s: CapturedStream) => ({ ...s, packets: s.packets.map((p) => ({ ...p, payload: p.payload.toString('base64') })) });
  fs.writeFileSync(cacheFile, JSON.stringify({ ...capture, audio: serialisable(capture.audio), video: serialisable(capture.video) }));
  return capture;
}

function parseStream(datagrams: Buffer[], clockRate: number, what: string): CapturedStream {
  const parsed = datagrams.map((d) => {
    const csrcCount = d[0]! & 0x0f;
    let offset = 12 + 4 * csrcCount;
    if (d[0]! & 0x10) offset += 4 + 4 * d.readUInt16BE(offset + 2);
    return { seq: d.readUInt16BE(2), ts: d.readUInt32BE(4), marker: (d[1]! & 0x80) !== 0, payload: Buffer.from(d.subarray(offset)) };
  });
  if (parsed.length < 100) throw new Error(`captured only ${parsed.length} ${what} packets`);
  // ffmpeg starts at a random sequence number; unwrap, order, and insist on no gaps.
  const first = parsed[0]!;
  const unwrapped = parsed.map((p) => ({ ...p, n: (p.seq - first.seq + 0x10000) & 0xffff }));
  unwrapped.sort((a, b) => a.n - b.n);
  if (unwrapped.at(-1)!.n !== unwrapped.length - 1) throw new Error(`the ${what} capture has gaps`);
  const ts0 = unwrapped[0]!.ts;
  const packets = unwrapped.map((p) => ({ ts: (p.ts - ts0) >>> 0, marker: p.marker, payload: p.payload }));
  return { clockRate, packets, frames: new Set(packets.map((p) => p.ts)).size };
}

/**
 * One synthetic participant: replays the captured loop with its own SSRCs, continuous sequence
 * numbers, timestamps and VP8 picture ids, and an audio level that says it speaks in its turn.
 */
export class SyntheticSender {
  readonly socket: Socket;
  sentPackets = 0;
  sentBytes = 0;
  readonly #capture: Capture;
  readonly #ssrc: { audio: number; video: number };
  readonly #target: { ip: string; port: number };
  readonly #phaseMs: number;
  readonly #turn: { index: number; of: number };
  readonly #next = { audio: 0, video: 0 };
  readonly #seq = { audio: 0, video: 0 };
  #startedAt = 0;

  constructor(socket: Socket, capture: Capture, ssrc: { audio: number; video: number }, target: { ip: string; port: number }, turn: { index: number; of: number }) {
    this.socket = socket;
    this.#capture = capture;
    this.#ssrc = ssrc;
    this.#target = target;
    this.#turn = turn;
    // Spread the senders over the loop so that their key frames do not coincide.
    this.#phaseMs = (turn.index / turn.of) * capture.durationSec * 1000;
  }

  start(now: number) {
    this.#startedAt = now;
    for (const kind of ['audio', 'video'] as const) {
      const { packets, clockRate } = this.#capture[kind];
      const first = packets.findIndex((p) => (p.ts / clockRate) * 1000 >= this.#phaseMs);
      this.#next[kind] = first === -1 ? packets.length : first;
      this.#seq[kind] = Math.floor(Math.random() * 0x10000);
    }
  }

  /**
   * This process was not scheduled for a while: move the sender's clock on instead of sending
   * everything that fell due at once (a burst no real sender produces, which would overflow the
   * SFU's socket buffers and measure our stall rather than the SFU).
   */
  skip(ms: number) {
    this.#startedAt += ms;
  }

  /** Sends every packet due by `now` (milliseconds, performance.now()). */
  tick(now: number) {
    const elapsedMs = now - this.#startedAt;
    this.#sendDue('audio', elapsedMs);
    this.#sendDue('video', elapsedMs);
  }

  #sendDue(kind: 'audio' | 'video', clockMs: number) {
    const elapsedMs = clockMs + this.#phaseMs;
    const stream = this.#capture[kind];
    const count = stream.packets.length;
    const loopTicks = this.#capture.durationSec * stream.clockRate;
    for (;;) {
      const n = this.#next[kind];
      const loop = Math.floor(n / count);
      const captured = stream.packets[n % count]!;
      const dueMs = ((loop * loopTicks + captured.ts) / stream.clockRate) * 1000;
      if (dueMs > elapsedMs) return;
      const packet = kind === 'audio' ? this.#audioPacket(captured, loop * loopTicks, clockMs) : this.#videoPacket(captured, loop * loopTicks, loop * stream.frames);
      this.socket.send(packet, this.#target.port, this.#target.ip);
      this.sentPackets++;
      this.sentBytes += packet.length;
      this.#next[kind]++;
    }
  }

  #header(extension: boolean, marker: boolean, payloadType: number, kind: 'audio' | 'video', ts: number, headerLength: number, payloadLength: number) {
    const packet = Buffer.allocUnsafe(headerLength + payloadLength);
    packet[0] = extension ? 0x90 : 0x80;
    packet[1] = (marker ? 0x80 : 0) | payloadType;
    packet.writeUInt16BE(this.#seq[kind]++ & 0xffff, 2);
    packet.writeUInt32BE(ts >>> 0, 4);
    packet.writeUInt32BE(this.#ssrc[kind], 8);
    return packet;
  }

  #audioPacket(captured: CapturedPacket, tsOffset: number, clockMs: number) {
    const packet = this.#header(true, captured.marker, audioPayloadType, 'audio', captured.ts + tsOffset, 20, captured.payload.length);
    // One-byte header extension (RFC 8285) with ssrc-audio-level (RFC 6464): voice at -25 dBov
    // in this sender's 3 s turn, silence (-127 dBov) otherwise.
    const speaking = Math.floor(clockMs / 3000) % this.#turn.of === this.#turn.index;
    packet.writeUInt32BE(0xbede0001, 12);
    packet[16] = (audioLevelExtensionId << 4) | 0;
    packet[17] = speaking ? 0x80 | 25 : 127;
    packet[18] = 0;
    packet[19] = 0;
    captured.payload.copy(packet, 20);
    return packet;
  }

  #videoPacket(captured: CapturedPacket, tsOffset: number, pictureIdOffset: number) {
    const packet = this.#header(false, captured.marker, videoPayloadType, 'video', captured.ts + tsOffset, 12, captured.payload.length);
    captured.payload.copy(packet, 12);
    // VP8 payload descriptor (RFC 7741): keep the picture id counting across loops.
    const descriptor = packet.subarray(12);
    if (descriptor[0]! & 0x80 && descriptor[1]! & 0x80) {
      if (descriptor[2]! & 0x80) descriptor.writeUInt16BE(0x8000 | ((descriptor.readUInt16BE(2) + pictureIdOffset) & 0x7fff), 2);
      else descriptor[2] = (descriptor[2]! + pictureIdOffset) & 0x7f;
    }
    return packet;
  }
}

/** One forwarded stream as a sink sees it: packets received and the highest extended sequence number. */
export interface StreamCount {
  received: number;
  highestSeq: number;
}

/**
 * A receiving end: counts the media packets and bytes the SFU forwards to it and, per SSRC, the
 * packets received against the sequence numbers covered. The SFU keeps its input's gaps in the
 * sequence numbers it sends, so losses anywhere (before the worker, in it, or at this socket) show.
 */
export class Sink {
  /** Opus and VP8 packets (the forwarded media). */
  packets = 0;
  bytes = 0;
  /** Any other RTP (retransmissions, bandwidth probes): none expected, see receiverRtpCapabilities. */
  otherRtp = 0;
  rtcp = 0;
  readonly streams = new Map<number, StreamCount>();
  readonly socket: Socket;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('message', (packet) => {
      const payloadType = packet[1]! & 0x7f;
      if (payloadType === audioPayloadType || payloadType === videoPayloadType) {
        this.packets++;
        this.bytes += packet.length;
        const ssrc = packet.readUInt32BE(8);
        const seq = packet.readUInt16BE(2);
        const stream = this.streams.get(ssrc);
        if (!stream) this.streams.set(ssrc, { received: 1, highestSeq: seq });
        else {
          stream.received++;
          const ahead = (seq - (stream.highestSeq & 0xffff) + 0x10000) & 0xffff;
          if (ahead > 0 && ahead < 0x8000) stream.highestSeq += ahead; // else a late (reordered) packet
        }
      } else if (payloadType >= 64 && payloadType <= 95) this.rtcp++; // RTCP 192–223 with the marker bit masked
      else this.otherRtp++;
    });
  }

  static async open(): Promise<Sink> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    socket.setRecvBufferSize(1024 * 1024);
    return new Sink(socket);
  }

  get port() {
    return this.socket.address().port;
  }

  close() {
    this.socket.close();
  }
}

/**
 * What the plain receivers accept: the router's codecs (so consumers use the router's payload
 * types, 100 Opus and 101 VP8, as asserted by Sink) without transport-wide congestion control or
 * REMB. The sinks send no feedback, and with transport-cc on, mediasoup would send bandwidth
 * probes (payload type 127) to them.
 */
export function receiverRtpCapabilities(router: types.RtpCapabilities): types.RtpCapabilities {
  const bwe = new Set(['http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01', 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time']);
  return {
    codecs: (router.codecs ?? []).map((codec) => ({ ...codec, rtcpFeedback: (codec.rtcpFeedback ?? []).filter((fb) => fb.type !== 'transport-cc' && fb.type !== 'goog-remb') })),
    headerExtensions: (router.headerExtensions ?? []).filter((ext) => !bwe.has(ext.uri)),
  };
}
