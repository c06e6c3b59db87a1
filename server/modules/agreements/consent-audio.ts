import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pLimit from 'p-limit';
import { consentRecordingLimits, type consentRecordingContentTypes } from '../../../shared/api/agreements.ts';

const run = promisify(execFile);
/** ffprobe on a hostile file is a bounded job: time, CPU and memory limits, two at a time. */
const probes = pLimit(2);
const probeLimits = { timeoutMs: 5_000, cpuSeconds: 5, memoryBytes: 512 * 1024 * 1024 };

/** Why a file is not an acceptable consent recording, in words for the 400's message. */
export class ConsentAudioRejected extends Error {}

export interface ConsentAudio {
  contentType: (typeof consentRecordingContentTypes)[number];
  durationMs: number;
}

interface ProbeOutput {
  format?: { format_name?: string; duration?: string };
  streams?: { index: number; codec_type?: string; codec_name?: string }[];
  packets?: { stream_index: number; pts_time?: string; duration_time?: string }[];
}

/**
 * Checks with Debian's ffprobe that the bytes are one audio stream as MediaRecorder makes it (Opus
 * in WebM or Ogg; AAC in MP4 on iPhone Safari, which records nothing else) lasting a few seconds. MediaRecorder's WebM has no duration in its header,
 * so the length is taken from the last packet's end.
 */
export function probeConsentAudio(bytes: Uint8Array): Promise<ConsentAudio> {
  return probeVoiceAudio(bytes, consentRecordingLimits);
}

/** The same check with other length limits (a party's voice statement recorded at sea can last minutes). */
export function probeVoiceAudio(bytes: Uint8Array, limits: { minMs: number; maxMs: number }): Promise<ConsentAudio> {
  return probes(async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'haiqiao-consent-'));
    try {
      const input = path.join(dir, 'consent');
      await writeFile(input, bytes);
      return judge(await ffprobe(input), limits);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}

async function ffprobe(input: string): Promise<ProbeOutput> {
  const limits = [`--as=${probeLimits.memoryBytes}`, `--cpu=${probeLimits.cpuSeconds}`, '--core=0'];
  const args = ['-v', 'error', '-of', 'json', '-show_format', '-show_streams', '-show_entries', 'packet=stream_index,pts_time,duration_time', input];
  try {
    const { stdout } = await run('prlimit', [...limits, 'ffprobe', ...args], { timeout: probeLimits.timeoutMs, killSignal: 'SIGKILL', maxBuffer: 4 * 1024 * 1024 });
    return JSON.parse(stdout) as ProbeOutput;
  } catch (error) {
    const e = error as { code?: unknown; killed?: boolean; signal?: string | null };
    // A few seconds of Opus is a few hundred packets: a report larger than the buffer is no such recording.
    if (e.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') throw new ConsentAudioRejected('not a short voice recording (far too many packets)');
    if (e.killed || e.signal) throw new ConsentAudioRejected('the file took too long to read');
    if (typeof e.code === 'number') throw new ConsentAudioRejected('not an audio recording (ffprobe cannot read it)');
    throw error;
  }
}

function judge(probe: ProbeOutput, limits: { minMs: number; maxMs: number }): ConsentAudio {
  const format = probe.format?.format_name ?? '';
  const container = (name: string) => new RegExp(`(^|,)${name}(,|$)`).test(format);
  const contentType = container('webm') ? 'audio/webm' : container('ogg') ? 'audio/ogg' : container('mp4') ? 'audio/mp4' : null;
  if (!contentType) throw new ConsentAudioRejected(`not a WebM, Ogg or MP4 recording (ffprobe found ${format || 'no container'})`);
  const streams = probe.streams ?? [];
  if (streams.some((s) => s.codec_type !== 'audio')) throw new ConsentAudioRejected('audio only: the file has a video or other non-audio stream');
  if (streams.length !== 1) throw new ConsentAudioRejected(`one audio stream expected, found ${streams.length}`);
  const audio = streams[0]!;
  const codec = contentType === 'audio/mp4' ? 'aac' : 'opus';
  if (audio.codec_name !== codec) throw new ConsentAudioRejected(`${codec === 'aac' ? 'AAC' : 'Opus'} audio expected in ${contentType}, found ${audio.codec_name ?? 'an unknown codec'}`);
  const ends = (probe.packets ?? []).filter((p) => p.stream_index === audio.index).map((p) => Number(p.pts_time) + (Number(p.duration_time) || 0));
  const fromPackets = ends.filter(Number.isFinite).reduce((a, b) => Math.max(a, b), 0);
  const declared = Number(probe.format?.duration);
  const seconds = Number.isFinite(declared) && declared > 0 ? Math.max(declared, fromPackets) : fromPackets;
  const durationMs = Math.round(seconds * 1000);
  if (durationMs < limits.minMs) throw new ConsentAudioRejected(`too short (${durationMs} ms): at least ${limits.minMs / 1000} s`);
  if (durationMs > limits.maxMs) throw new ConsentAudioRejected(`too long (${(durationMs / 1000).toFixed(1)} s): at most ${limits.maxMs / 1000} s`);
  return { contentType, durationMs };
}
