import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { type Capture, loadCapture, senderRtpParameters, SyntheticSender } from '../../../bench/lib/rtp-source.ts';
import type { MediaRoom } from '../../../server/media/media-room.ts';

const run = promisify(execFile);

/**
 * A synthetic participant in a real media room: a plain RTP peer under the attendance's id that
 * produces Opus and VP8 (ffmpeg-encoded test signal, bench/lib/rtp-source.ts) in real time; an
 * interpreter's Opus goes into their interpretation channel instead of their microphone.
 */
export async function syntheticParticipant(media: MediaRoom, capture: Capture, peerId: string, space: string, index: number, audioSource: 'microphone' | 'interpretation' = 'microphone') {
  media.addPeer(peerId, space);
  const { send } = await media.startPlainPeer(peerId, { produce: true });
  const ssrc = { audio: 1_000_000 + index * 2, video: 1_000_001 + index * 2 };
  const params = senderRtpParameters(ssrc);
  await media.produce(peerId, send!.id, 'audio', params.audio, audioSource);
  await media.produce(peerId, send!.id, 'video', params.video, 'camera');
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const sender = new SyntheticSender(socket, capture, ssrc, { ip: send!.ip, port: send!.port }, { index, of: 4 });
  sender.start(performance.now());
  const timer = setInterval(() => sender.tick(performance.now()), 5);
  return {
    sender,
    stop() {
      clearInterval(timer);
      socket.close();
    },
  };
}

export function testCapture() {
  return loadCapture(() => undefined);
}

/** What ffprobe says of a file, and whether ffmpeg decodes all of it without an error. */
export async function probe(file: string): Promise<{ codec: string; duration: number; decodes: boolean }> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name:format=duration', '-of', 'json', file]);
  const parsed = JSON.parse(stdout) as { streams: { codec_name: string }[]; format: { duration?: string } };
  const decoded = await run('ffmpeg', ['-v', 'error', '-nostdin', '-i', file, '-f', 'null', '-']).then(
    (r) => r.stderr.trim() === '',
    () => false,
  );
  return { codec: parsed.streams[0]?.codec_name ?? '', duration: Number(parsed.format.duration ?? 0), decodes: decoded };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
