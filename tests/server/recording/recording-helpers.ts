import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { type Capture, loadCapture, senderRtpParameters, SyntheticSender } from '../../../bench/lib/rtp-source.ts';
import type { MediaRoom } from '../../../server/media/media-room.ts';
import { connected, type SocketAuth, type TestSocket } from '../../helpers/socket-client.ts';

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
  return loadCapture(() => undefined, 'turns');
}

/** What ffprobe says of a file, and whether ffmpeg decodes all of it without an error. */
export async function probe(file: string): Promise<{ codec: string; duration: number; packets: number; decodes: boolean }> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-count_packets', '-show_entries', 'stream=codec_name,nb_read_packets:format=duration', '-of', 'json', file]);
  const parsed = JSON.parse(stdout) as { streams: { codec_name: string; nb_read_packets?: string }[]; format: { duration?: string } };
  const decoded = await run('ffmpeg', ['-v', 'error', '-nostdin', '-i', file, '-f', 'null', '-']).then(
    (r) => r.stderr.trim() === '',
    () => false,
  );
  return { codec: parsed.streams[0]?.codec_name ?? '', duration: Number(parsed.format.duration ?? 0), packets: Number(parsed.streams[0]?.nb_read_packets ?? 0), decodes: decoded };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Open = (auth: SocketAuth) => TestSocket;
const deviceCheck = { rttMs: 40, downKbps: 2000, upKbps: 900, hasCamera: true, hasMicrophone: true };

/** The mediator (their login cookie) enters the session's room as host. */
export async function hostIn(cookie: string, open: Open, sessionId: string) {
  const host = open({ cookie });
  await connected(host);
  const entered = await host.call('session:enter', { sessionId: sessionId as never });
  if (!entered.ok) throw new Error(`host could not enter: ${entered.error.message}`);
  return { socket: host, peerId: entered.data.peerId };
}

/** A participant enters with their link, confirms a one-time code from the host and is admitted. */
export async function admittedWithCode(open: Open, token: string, host: TestSocket) {
  const socket = open({ invitationToken: token });
  await connected(socket);
  const entered = await socket.call('session:enter', {});
  if (!entered.ok) throw new Error(entered.error.message);
  if (!(await socket.call('device-check:report', deviceCheck)).ok) throw new Error('device check refused');
  const code = await host.call('host:issue-code', { peerId: entered.data.peerId });
  if (!code.ok) throw new Error(code.error.message);
  if (!(await socket.call('identity:confirm', { method: 'one_time_code', code: code.data.code })).ok) throw new Error('identity refused');
  if (!(await socket.call('lobby:wait', {})).ok) throw new Error('lobby refused');
  const admitted = await host.call('host:admit', { peerId: entered.data.peerId });
  if (!admitted.ok) throw new Error(admitted.error.message);
  return { socket, peerId: entered.data.peerId };
}
