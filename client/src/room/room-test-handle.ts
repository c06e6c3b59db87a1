import type { MediaSource } from '../../../shared/realtime.ts';
import type { RoomSession } from './room-session.svelte.ts';

/**
 * Read-only handles on a session for the browser tests (window.__haiqiaoRoom). Only test builds
 * (`vite build --mode test`) install it: RoomApp checks __HAIQIAO_TEST_HANDLE__, which is false
 * in every other build, so production bundles carry neither this module nor the window property.
 */
export function testHandleOf(session: RoomSession) {
  const { media, connection } = session;
  return Object.freeze({
    get phase() {
      return session.phase;
    },
    get connection() {
      return connection.state;
    },
    /** The signalling socket's id: a new one after the connection was opened again. */
    get socketId() {
      return connection.rt.socket.id ?? null;
    },
    get peerId() {
      return session.entry?.peerId ?? null;
    },
    get room() {
      return session.room;
    },
    get mediaState() {
      return media.state;
    },
    get audioOnly() {
      return session.audioOnly;
    },
    get device() {
      return media.device;
    },
    get sendTransport() {
      return media.sendTransport;
    },
    get recvTransport() {
      return media.recvTransport;
    },
    get consumerIds() {
      return media.consumers.map((c) => c.id);
    },
    get consumers() {
      return media.consumers.map((c) => ({ id: c.id, producerId: c.producerId, kind: c.kind, peerId: c.appData.peerId as string, source: c.appData.source as MediaSource, paused: c.paused, getStats: () => c.getStats(), receiver: c.rtpReceiver }));
    },
    get producers() {
      return media.producers.map(([source, p]) => ({ id: p.id, source, kind: p.kind, paused: p.paused, rtpParameters: p.rtpParameters, getStats: () => p.getStats(), encodings: () => p.rtpSender?.getParameters().encodings.map((e) => ({ ...e })) ?? [] }));
    },
    get lastSample() {
      return session.link.lastSample;
    },
    /** The weak-link controller's levels and its latest decisions. */
    get adaptation() {
      const a = session.adaptation;
      if (!a) return { send: 'full', recv: 'full', level: 'full', decisions: [], samples: [] };
      return { send: a.send, recv: a.recv, level: a.level, decisions: a.decisions.map((d) => ({ ...d, reasons: [...d.reasons] })), samples: a.samples.map((x) => ({ ...x })) };
    },
    /** First times (performance.now()) of: socket connected, entered, admitted, transports connected. */
    get marks() {
      return { ...session.marks };
    },
    /** The latest signalling requests with their send and ack times. */
    get requests() {
      return connection.rt.timings.map((t) => ({ ...t }));
    },
    /** Each received voice's gain and RMS level arriving and heard (interpreter channel tests). */
    audioLevels() {
      const feeds = media.feeds;
      return session.interpretation.mixer.levels().map((l) => {
        const feed = feeds.find((f) => f.consumerId === l.consumerId);
        return { ...l, peerId: feed?.peerId ?? null, source: feed?.source ?? null };
      });
    },
    /** Hostile-input tests: emits anything on this session's socket and resolves with the ack. */
    emitRaw(event: string, payload: unknown): Promise<unknown> {
      return connection.rt.socket.timeout(5_000).emitWithAck(event, payload).catch((error: unknown) => ({ noAck: String(error) }));
    },
  });
}
