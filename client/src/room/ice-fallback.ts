/**
 * How the room's WebRTC transports reach the media server. The server hands admitted
 * participants TURN servers (TURN over TLS on 443, where UDP and other ports are blocked)
 * with time-limited credentials; they are given to every transport, so ICE tries the direct
 * paths (UDP, then mediasoup's TCP port) and the TURN relay side by side and keeps what works.
 * When a transport fails anyway (a path that passed its checks but does not carry media, as
 * on networks that let a few UDP packets through), the next start uses the relay only.
 */
import type { types } from 'mediasoup-client';
import type { IceServer } from '../../../shared/realtime.ts';

export class IceFallback {
  #relayOnly = false;

  /** Whether the next transports use the TURN relay only. */
  get relayOnly(): boolean {
    return this.#relayOnly;
  }

  /** ICE options for a new transport with the TURN servers from media:start. */
  options(iceServers: IceServer[]): Pick<types.TransportOptions, 'iceServers' | 'iceTransportPolicy'> {
    if (iceServers.length === 0) return {};
    return {
      iceServers: iceServers.map((s) => ({ urls: s.urls, username: s.username, credential: s.credential })),
      iceTransportPolicy: this.#relayOnly ? 'relay' : 'all',
    };
  }

  /**
   * A transport made with `options()` failed: with TURN available the next start goes
   * relay-only; if that failed too, the one after tries every path again.
   */
  transportFailed(iceServers: IceServer[]): void {
    this.#relayOnly = iceServers.length > 0 && !this.#relayOnly;
  }
}
