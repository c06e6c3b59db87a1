/**
 * Taking a statement or a photo with no link: the bytes are hashed (SHA-256, WebCrypto) at the
 * moment of capture, with the time and, when the person allows it, the position.
 */
import type { CapturedItem } from './capture-store.ts';

async function sha256Hex(blob: Blob): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', await blob.arrayBuffer());
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** The phone's position, or nothing when refused, unavailable or slow (a statement is never held up for it). */
function currentPosition(): Promise<GeolocationCoordinates | undefined> {
  if (!('geolocation' in navigator)) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    navigator.geolocation.getCurrentPosition(
      (position) => resolve(position.coords),
      () => resolve(undefined),
      { enableHighAccuracy: true, timeout: 10_000, maximumAge: 60_000 },
    );
  });
}

/** A new item, hashed now; `capturedAt` is when the capture began (a statement's first word). */
export async function captureItem(token: string, kind: CapturedItem['kind'], blob: Blob, fileName: string, capturedAt: Date): Promise<CapturedItem> {
  const [sha256, position] = await Promise.all([sha256Hex(blob), currentPosition()]);
  return {
    id: crypto.randomUUID(),
    token,
    kind,
    blob,
    fileName,
    sha256,
    capturedAt: capturedAt.toISOString(),
    ...(position ? { latitude: position.latitude, longitude: position.longitude } : {}),
    state: 'waiting',
    attempts: 0,
  };
}

/** What MediaRecorder can make here, in the order the server prefers (Opus in WebM or Ogg; AAC in MP4 on iPhones). */
const recordingTypes = [
  { mime: 'audio/webm;codecs=opus', ext: 'webm' },
  { mime: 'audio/ogg;codecs=opus', ext: 'ogg' },
  { mime: 'audio/mp4', ext: 'm4a' },
];

const longestStatementMs = 10 * 60_000;

/** One voice statement being recorded: `stop()` gives its bytes and when it began. */
export async function startVoiceStatement(onAutoStop: () => void) {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true } });
  const type = recordingTypes.find((t) => MediaRecorder.isTypeSupported(t.mime)) ?? recordingTypes[0]!;
  const recorder = new MediaRecorder(stream, { mimeType: type.mime, audioBitsPerSecond: 24_000 });
  const chunks: Blob[] = [];
  recorder.ondataavailable = (event) => {
    if (event.data.size) chunks.push(event.data);
  };
  const startedAt = new Date();
  const done = new Promise<Blob>((resolve) => {
    recorder.onstop = () => {
      for (const track of stream.getTracks()) track.stop();
      resolve(new Blob(chunks, { type: type.mime.split(';')[0] }));
    };
  });
  recorder.start(1000);
  // A statement left recording in a pocket stops by itself at the server's limit.
  const limit = setTimeout(onAutoStop, longestStatementMs - 5_000);
  return {
    startedAt,
    fileName: `statement-${startedAt.toISOString().replace(/[:.]/g, '-')}.${type.ext}`,
    async stop(): Promise<Blob> {
      clearTimeout(limit);
      if (recorder.state !== 'inactive') recorder.stop();
      return done;
    },
  };
}
