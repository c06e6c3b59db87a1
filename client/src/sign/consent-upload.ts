/** Pure rules of the spoken-consent recording and its upload (tested in tests/client/signing-logic.test.ts). */
import { ApiError } from '../lib/http.ts';

const retry = { firstMs: 1000, maxMs: 30_000 } as const;

/** The first container+codec this browser's MediaRecorder makes, audio only (iPhone Safari: AAC in MP4 only). */
export function recordingMimeType(isSupported: (type: string) => boolean): string | null {
  return ['audio/webm;codecs=opus', 'audio/ogg;codecs=opus', 'audio/mp4;codecs=mp4a.40.2', 'audio/mp4'].find((type) => isSupported(type)) ?? null;
}

/** Delay before retry `attempt` (1-based): 1 s, 2 s, 4 s … capped at 30 s. */
export const retryDelayMs = (attempt: number) => Math.min(retry.maxMs, retry.firstMs * 2 ** (attempt - 1));

/** Whether a failed upload is worth sending again (the link, the server's load), not a refusal of the recording. */
export const isRetryable = (error: unknown) =>
  !(error instanceof ApiError) || error.code === 'NETWORK' || error.code === 'RATE_LIMITED' || error.status === 0 || error.status === 408 || error.status >= 500;
