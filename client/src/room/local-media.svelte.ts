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

export class LocalMedia {
  audioTrack = $state.raw<MediaStreamTrack | null>(null);
  videoTrack = $state.raw<MediaStreamTrack | null>(null);
  audioStatus = $state<DeviceStatus>('idle');
  videoStatus = $state<DeviceStatus>('idle');

  get supported(): boolean {
    return typeof navigator !== 'undefined' && Boolean(navigator.mediaDevices?.getUserMedia);
  }

  async acquireAudio(): Promise<MediaStreamTrack | null> {
    if (this.audioTrack && this.audioTrack.readyState === 'live') return this.audioTrack;
    if (!this.supported) {
      this.audioStatus = 'unsupported';
      return null;
    }
    this.audioStatus = 'pending';
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: microphoneConstraints });
      const track = stream.getAudioTracks()[0] ?? null;
      this.audioTrack = track;
      this.audioStatus = track ? 'ok' : 'missing';
      track?.addEventListener('ended', () => {
        if (this.audioTrack === track) {
          this.audioTrack = null;
          this.audioStatus = 'idle';
        }
      });
      return track;
    } catch (error) {
      this.audioStatus = statusOf(error);
      return null;
    }
  }

  async acquireVideo(): Promise<MediaStreamTrack | null> {
    if (this.videoTrack && this.videoTrack.readyState === 'live') return this.videoTrack;
    if (!this.supported) {
      this.videoStatus = 'unsupported';
      return null;
    }
    this.videoStatus = 'pending';
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ video: cameraConstraints });
      const track = stream.getVideoTracks()[0] ?? null;
      if (track) track.contentHint = 'motion';
      this.videoTrack = track;
      this.videoStatus = track ? 'ok' : 'missing';
      track?.addEventListener('ended', () => {
        if (this.videoTrack === track) {
          this.videoTrack = null;
          this.videoStatus = 'idle';
        }
      });
      return track;
    } catch (error) {
      this.videoStatus = statusOf(error);
      return null;
    }
  }

  /** Turns the camera off (the light goes out); it can be asked for again later. */
  stopVideo(): void {
    this.videoTrack?.stop();
    this.videoTrack = null;
    if (this.videoStatus === 'ok') this.videoStatus = 'idle';
  }

  stopAll(): void {
    this.audioTrack?.stop();
    this.audioTrack = null;
    this.stopVideo();
    if (this.audioStatus === 'ok') this.audioStatus = 'idle';
  }
}
