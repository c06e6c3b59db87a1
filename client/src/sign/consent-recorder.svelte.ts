/**
 * The signer's spoken consent, recorded on the phone after the read-aloud: MediaRecorder, Opus in
 * WebM (or Ogg where that is what the browser makes), audio only, a few seconds. "Use" uploads it
 * until it arrives: the upload is keyed by the recording's SHA-256, so every retry (exponential
 * backoff, for a weak audio-only link) is the same idempotent PUT. The signature can only be sent
 * once `uploadedSha256` is set.
 */
import { consentRecordingLimits } from '../../../shared/api/agreements.ts';
import { ApiError } from '../lib/http.ts';
import { isRetryable, recordingMimeType, retryDelayMs } from './consent-upload.ts';
import { uploadConsentRecording, type Caller } from './participant-api.ts';

export type RecorderState = 'idle' | 'recording' | 'recorded' | 'uploading' | 'uploaded';
export type RecorderProblem = 'unsupported' | 'no_microphone' | 'denied' | 'too_short' | 'refused';

/** The longest the page records before it stops by itself (the server accepts up to 30 s). */
const autoStopMs = 20_000;

export class ConsentRecorder {
  state = $state<RecorderState>('idle');
  problem = $state<RecorderProblem | null>(null);
  /** The server's words when it refused the recording. */
  refusal = $state('');
  /** For "listen": an object URL of the recording. */
  url = $state<string | null>(null);
  elapsedMs = $state(0);
  attempts = $state(0);
  uploadedSha256 = $state<string | null>(null);

  #recorder: MediaRecorder | null = null;
  #stream: MediaStream | null = null;
  #chunks: Blob[] = [];
  #blob: Blob | null = null;
  #startedAt = 0;
  #ticker: ReturnType<typeof setInterval> | null = null;
  #stopTimer: ReturnType<typeof setTimeout> | null = null;
  /** Bumped on redo/dispose: an upload loop of an older recording stops. */
  #generation = 0;

  async record(): Promise<void> {
    if (this.state === 'recording' || this.state === 'uploading') return;
    this.redo();
    const mimeType = typeof MediaRecorder === 'undefined' ? null : recordingMimeType((t) => MediaRecorder.isTypeSupported(t));
    if (!mimeType || !navigator.mediaDevices?.getUserMedia) {
      this.problem = 'unsupported';
      return;
    }
    try {
      this.#stream = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true }, video: false });
    } catch (error) {
      const name = error instanceof DOMException ? error.name : '';
      this.problem = name === 'NotAllowedError' || name === 'SecurityError' ? 'denied' : 'no_microphone';
      return;
    }
    const recorder = new MediaRecorder(this.#stream, { mimeType, audioBitsPerSecond: 24_000 });
    this.#recorder = recorder;
    this.#chunks = [];
    recorder.ondataavailable = (event) => {
      if (event.data.size > 0) this.#chunks.push(event.data);
    };
    recorder.onstop = () => this.#finished(mimeType);
    recorder.start();
    this.#startedAt = performance.now();
    this.elapsedMs = 0;
    this.state = 'recording';
    this.#ticker = setInterval(() => (this.elapsedMs = performance.now() - this.#startedAt), 200);
    this.#stopTimer = setTimeout(() => this.stop(), autoStopMs);
  }

  stop(): void {
    if (this.state !== 'recording' || !this.#recorder) return;
    this.#recorder.stop();
  }

  #finished(mimeType: string): void {
    this.#clearTimers();
    this.#stopMicrophone();
    this.#recorder = null;
    const duration = performance.now() - this.#startedAt;
    if (duration < consentRecordingLimits.minMs + 200) {
      this.state = 'idle';
      this.problem = 'too_short';
      return;
    }
    this.#blob = new Blob(this.#chunks, { type: mimeType });
    this.url = URL.createObjectURL(this.#blob);
    this.elapsedMs = duration;
    this.state = 'recorded';
  }

  /** Throws away the recording (and stops an upload of it). */
  redo(): void {
    this.#generation += 1;
    if (this.#recorder && this.#recorder.state !== 'inactive') {
      this.#recorder.onstop = null;
      this.#recorder.stop();
    }
    this.#clearTimers();
    this.#stopMicrophone();
    this.#recorder = null;
    if (this.url) URL.revokeObjectURL(this.url);
    this.url = null;
    this.#blob = null;
    this.state = 'idle';
    this.problem = null;
    this.refusal = '';
    this.attempts = 0;
    this.uploadedSha256 = null;
  }

  /** Uploads the recording, retrying with backoff until it arrives or the server refuses it; answers the refusal, if any. */
  async use(caller: Caller, agreementId: string): Promise<unknown> {
    if (this.state !== 'recorded' || !this.#blob) return null;
    const blob = this.#blob;
    const generation = this.#generation;
    this.state = 'uploading';
    this.problem = null;
    const sha256 = await sha256Hex(blob);
    for (this.attempts = 1; generation === this.#generation; this.attempts += 1) {
      try {
        await uploadConsentRecording(caller, agreementId, sha256, blob);
        if (generation !== this.#generation) return;
        this.uploadedSha256 = sha256;
        this.state = 'uploaded';
        return null;
      } catch (error) {
        if (generation !== this.#generation) return null;
        if (!isRetryable(error)) {
          this.state = 'recorded';
          this.problem = 'refused';
          this.refusal = error instanceof ApiError ? error.message : String(error);
          return error;
        }
        await new Promise((resolve) => setTimeout(resolve, retryDelayMs(this.attempts)));
      }
    }
    return null;
  }

  dispose(): void {
    this.redo();
  }

  #stopMicrophone(): void {
    for (const track of this.#stream?.getTracks() ?? []) track.stop();
    this.#stream = null;
  }

  #clearTimers(): void {
    if (this.#ticker) clearInterval(this.#ticker);
    if (this.#stopTimer) clearTimeout(this.#stopTimer);
    this.#ticker = null;
    this.#stopTimer = null;
  }
}

async function sha256Hex(blob: Blob): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', await blob.arrayBuffer());
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}
