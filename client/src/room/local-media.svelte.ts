/**
 * The person's own microphone and camera. Each is asked for separately, so a missing or
 * refused camera never costs the microphone (and the reverse): people join with whatever
 * they have, or listen only.
 */

export type DeviceStatus = 'idle' | 'pending' | 'ok' | 'denied' | 'missing' | 'busy' | 'unsupported' | 'error';

/** 720p ideal: Chrome drops simulcast layers for small captures; the layers below scale it down. */
export const cameraConstraints: MediaTrackConstraints = {
  width: { ideal: 1280 },
  height: { ideal: 720 },
  frameRate: { ideal: 24, max: 30 },
  facingMode: 'user',
};

export const microphoneConstraints: MediaTrackConstraints = {
  echoCancellation: true,
  noiseSuppression: true,
  autoGainControl: true,
};

function statusOf(error: unknown): DeviceStatus {
  const name = error instanceof DOMException || error instanceof Error ? error.name : '';
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'denied';
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'missing';
    case 'NotReadableError':
    case 'AbortError':
      return 'busy';
    default:
      return 'error';
  }
}

type Kind = 'audio' | 'video';

export class LocalMedia {
  audioTrack = $state.raw<MediaStreamTrack | null>(null);
  videoTrack = $state.raw<MediaStreamTrack | null>(null);
  audioStatus = $state<DeviceStatus>('idle');
  videoStatus = $state<DeviceStatus>('idle');

  /** One request per device at a time: two controls asking at once share it (no second, leaked track). */
  readonly #pending: Record<Kind, { epoch: number; track: Promise<MediaStreamTrack | null> } | null> = { audio: null, video: null };
  /** Bumped when a device is released: a request still running then stops what it gets. */
  readonly #epoch: Record<Kind, number> = { audio: 0, video: 0 };

  get supported(): boolean {
    return typeof navigator !== 'undefined' && Boolean(navigator.mediaDevices?.getUserMedia);
  }

  acquireAudio(): Promise<MediaStreamTrack | null> {
    return this.#acquire('audio');
  }

  acquireVideo(): Promise<MediaStreamTrack | null> {
    return this.#acquire('video');
  }

  #acquire(kind: Kind): Promise<MediaStreamTrack | null> {
    const current = kind === 'audio' ? this.audioTrack : this.videoTrack;
    if (current && current.readyState === 'live') return Promise.resolve(current);
    if (!this.supported) {
      this.#setStatus(kind, 'unsupported');
      return Promise.resolve(null);
    }
    const pending = this.#pending[kind];
    if (pending && pending.epoch === this.#epoch[kind]) return pending.track;
    const request = { epoch: this.#epoch[kind], track: this.#request(kind) };
    this.#pending[kind] = request;
    void request.track.finally(() => {
      if (this.#pending[kind] === request) this.#pending[kind] = null;
    });
    return request.track;
  }

  async #request(kind: Kind): Promise<MediaStreamTrack | null> {
    const epoch = this.#epoch[kind];
    this.#setStatus(kind, 'pending');
    let track: MediaStreamTrack | null;
    try {
      const stream = await navigator.mediaDevices.getUserMedia(kind === 'audio' ? { audio: microphoneConstraints } : { video: cameraConstraints });
      track = (kind === 'audio' ? stream.getAudioTracks() : stream.getVideoTracks())[0] ?? null;
    } catch (error) {
      if (epoch === this.#epoch[kind]) this.#setStatus(kind, statusOf(error));
      return null;
    }
    if (epoch !== this.#epoch[kind]) {
      // Released while the browser was still asking: do not leave the light on.
      track?.stop();
      return null;
    }
    if (track && kind === 'video') track.contentHint = 'motion';
    if (kind === 'audio') this.audioTrack = track;
    else this.videoTrack = track;
    this.#setStatus(kind, track ? 'ok' : 'missing');
    track?.addEventListener('ended', () => {
      // Unplugged, or the permission taken back: ask again on the next press.
      if (kind === 'audio' && this.audioTrack === track) {
        this.audioTrack = null;
        this.audioStatus = 'idle';
      } else if (kind === 'video' && this.videoTrack === track) {
        this.videoTrack = null;
        this.videoStatus = 'idle';
      }
    });
    return track;
  }

  #setStatus(kind: Kind, status: DeviceStatus): void {
    if (kind === 'audio') this.audioStatus = status;
    else this.videoStatus = status;
  }

  /** Turns the camera off (the light goes out); it can be asked for again later. */
  stopVideo(): void {
    this.#epoch.video += 1;
    this.videoTrack?.stop();
    this.videoTrack = null;
    if (this.videoStatus === 'ok' || this.videoStatus === 'pending') this.videoStatus = 'idle';
  }

  stopAll(): void {
    this.#epoch.audio += 1;
    this.audioTrack?.stop();
    this.audioTrack = null;
    this.stopVideo();
    if (this.audioStatus === 'ok' || this.audioStatus === 'pending') this.audioStatus = 'idle';
  }
}
