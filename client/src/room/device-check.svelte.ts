/**
 * The device check before the lobby: camera and microphone (each optional), and a network test
 * over the same socket the meeting will use: five pings for the round-trip time, then a download
 * and an upload sample timed for throughput. A small sample goes first; the larger one only when
 * the link is fast enough to finish it quickly, so a weak link is not tied up for long.
 */
import type { NetworkTest } from '../../../shared/realtime.ts';
import { ApiError } from '../lib/http.ts';
import type { RoomSession } from './room-session.svelte.ts';

export type NetworkStep = 'idle' | 'ping' | 'download' | 'upload' | 'done' | 'failed';
export type NetworkVerdict = 'good' | 'fair' | 'poor';

export interface NetworkResult {
  rttMs: number;
  downKbps: number;
  upKbps: number;
}

const samples = [50_000, 200_000] as const;
const transferTimeoutMs = 15_000;

/** Plain words for a measured link: what the person can expect. */
export function verdictOf(result: NetworkResult): NetworkVerdict {
  if (result.downKbps < 250 || result.upKbps < 200 || result.rttMs > 1500) return 'poor';
  if (result.downKbps < 800 || result.upKbps < 500 || result.rttMs > 400) return 'fair';
  return 'good';
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function randomBytes(length: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(new ArrayBuffer(length));
  // Random content: nothing on the way can compress it and flatter the link.
  for (let offset = 0; offset < length; offset += 65_536) crypto.getRandomValues(bytes.subarray(offset, Math.min(length, offset + 65_536)));
  return bytes;
}

export class DeviceCheck {
  readonly session: RoomSession;
  step = $state<NetworkStep>('idle');
  progress = $state(0);
  result = $state.raw<NetworkResult | null>(null);
  verdict = $derived(this.result ? verdictOf(this.result) : null);

  constructor(session: RoomSession) {
    this.session = session;
  }

  /** Asks for both devices (separately: one refused must not cost the other). */
  async acquireDevices(): Promise<void> {
    const { local } = this.session;
    await Promise.all([local.acquireAudio(), this.session.audioOnly ? null : local.acquireVideo()]);
  }

  async runNetworkTest(): Promise<void> {
    if (this.step !== 'idle' && this.step !== 'done' && this.step !== 'failed') return;
    this.result = null;
    this.progress = 0;
    try {
      this.step = 'ping';
      const rtts: number[] = [];
      for (let i = 0; i < 5; i += 1) {
        const started = performance.now();
        await this.session.call('net:ping', { sentAt: Date.now() });
        rtts.push(performance.now() - started);
        this.progress = ((i + 1) / 5) * 0.2;
      }
      const rttMs = Math.round(median(rtts));

      this.step = 'download';
      const downKbps = await this.#throughput(rttMs, 0.2, async (bytes) => {
        await this.session.call('net:download', { bytes }, transferTimeoutMs);
      });

      this.step = 'upload';
      const upKbps = await this.#throughput(rttMs, 0.6, async (bytes) => {
        await this.session.call('net:upload', { payload: randomBytes(bytes) }, transferTimeoutMs);
      });

      this.progress = 1;
      this.result = { rttMs, downKbps, upKbps };
      this.step = 'done';
    } catch (error) {
      console.warn('network test failed', error);
      this.step = 'failed';
    }
  }

  async #throughput(rttMs: number, progressFrom: number, transfer: (bytes: number) => Promise<void>): Promise<number> {
    let kbps = 0;
    for (const [index, bytes] of samples.entries()) {
      const started = performance.now();
      try {
        await transfer(bytes);
      } catch (error) {
        // No answer in time: the link is slower than this sample could show.
        if (error instanceof ApiError && error.code === 'NETWORK' && index === 0) return Math.round((bytes * 8) / transferTimeoutMs);
        if (index > 0) break;
        throw error;
      }
      const elapsed = performance.now() - started;
      // Take off one round trip (request and ack), but never claim more than 4× the raw rate.
      const transferMs = Math.max(elapsed - rttMs, elapsed / 4, 1);
      kbps = Math.round((bytes * 8) / transferMs); // bits per millisecond = kbit/s
      this.progress = progressFrom + ((index + 1) / samples.length) * 0.4;
      if (elapsed > 1_500) break;
    }
    return kbps;
  }

  /** What the server records: measured numbers and which devices work. */
  report(): NetworkTest {
    const clamp = (n: number, max: number) => Math.max(0, Math.min(max, Math.round(n)));
    const result = this.result ?? { rttMs: 0, downKbps: 0, upKbps: 0 };
    return {
      rttMs: clamp(result.rttMs, 60_000),
      downKbps: clamp(result.downKbps, 10_000_000),
      upKbps: clamp(result.upKbps, 10_000_000),
      hasCamera: this.session.local.videoTrack !== null,
      hasMicrophone: this.session.local.audioTrack !== null,
    };
  }
}
