/**
 * Real spoken-consent recordings for tests, made by Debian's ffmpeg (a sine tone encoded to Opus,
 * as MediaRecorder would send it), and the upload a signer's phone makes before signing.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import type { App } from '../../server/app.ts';

export interface AudioSpec {
  seconds?: number;
  frequency?: number;
  container?: 'webm' | 'ogg' | 'mp4';
  /** Encode with this codec instead of Opus (e.g. 'libvorbis' to be refused, 'aac' as an iPhone records). */
  codec?: string;
  /** Add a video stream (refused: consent is audio only). */
  video?: boolean;
}

const made = new Map<string, Buffer>();

/** An encoded recording; the same spec gives the same bytes within a test process. */
export function consentAudio(spec: AudioSpec = {}): Buffer {
  const { seconds = 3, frequency = 440, container = 'webm', codec = 'libopus', video = false } = spec;
  const key = JSON.stringify([seconds, frequency, container, codec, video]);
  let bytes = made.get(key);
  if (!bytes) {
    const inputs = ['-f', 'lavfi', '-i', `sine=frequency=${frequency}:duration=${seconds}`];
    if (video) inputs.push('-f', 'lavfi', '-i', `color=c=blue:s=64x64:d=${seconds}`);
    const videoCodec = video ? ['-c:v', container === 'webm' ? 'libvpx' : 'libtheora'] : [];
    bytes = execFileSync('ffmpeg', ['-v', 'error', ...inputs, '-c:a', codec, ...(codec === 'libopus' ? ['-b:a', '24k'] : []), ...videoCodec, ...(container === 'mp4' ? ['-movflags', 'frag_keyframe+empty_moov'] : []), '-f', container, 'pipe:1'], { maxBuffer: 8 * 1024 * 1024 });
    made.set(key, bytes);
  }
  return bytes;
}

export const sha256Of = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

let uploaderAddress = 0;
/** A distinct address per upload (10.200.x.y): the upload route is rate limited per address. */
function nextUploaderIp(): string {
  uploaderAddress += 1;
  return `10.200.${Math.floor(uploaderAddress / 250) % 250}.${uploaderAddress % 250}`;
}

/** PUTs a recording as the signer (by invitation token); answers the response. */
export function putConsent(app: App, token: string, agreementId: string, bytes: Buffer = consentAudio(), options: { sha256?: string; contentType?: string; remoteAddress?: string } = {}) {
  return app.inject({
    method: 'PUT',
    url: `/api/agreements/${agreementId}/consent-recordings/${options.sha256 ?? sha256Of(bytes)}`,
    headers: { authorization: `Invitation ${token}`, 'content-type': options.contentType ?? 'audio/webm;codecs=opus' },
    payload: bytes,
    remoteAddress: options.remoteAddress ?? nextUploaderIp(),
  });
}

/** Uploads the default recording for this signer and answers its SHA-256 (for `consentRecordingSha256`). */
export async function uploadConsent(app: App, token: string, agreementId: string, bytes: Buffer = consentAudio()): Promise<string> {
  const res = await putConsent(app, token, agreementId, bytes);
  if (res.statusCode !== 200 && res.statusCode !== 201) throw new Error(`consent upload answered ${res.statusCode}: ${res.body}`);
  return sha256Of(bytes);
}
