import type { z } from 'zod';
import type { ClientAck, ClientEventName, clientEvents } from '../../../shared/realtime.ts';
import type { Connection, RoomsService } from './rooms.service.ts';

/** A request as the contract's schema leaves it after parsing. */
type Parsed<E extends ClientEventName> = z.output<(typeof clientEvents)[E]['request']>;
type Handler<E extends ClientEventName> = (rooms: RoomsService, conn: Connection, request: Parsed<E>) => Promise<ClientAck<E>> | ClientAck<E>;

/** Socket events → the room part that decides. Payloads arrive here already parsed with the contract's schema. */
export const roomHandlers: { [E in ClientEventName]: Handler<E> } = {
  'session:enter': (rooms, conn, r) => rooms.entry.enter(conn, r),
  'net:ping': (_rooms, _conn, r) => ({ sentAt: r.sentAt, serverAt: Date.now() }),
  'net:download': (_rooms, _conn, r) => ({ payload: new Uint8Array(r.bytes) }),
  'net:upload': (_rooms, _conn, r) => ({ bytes: r.payload.byteLength }),
  'device-check:report': (rooms, conn, r) => rooms.entry.reportDeviceCheck(conn, r),
  'identity:confirm': (rooms, conn, r) => rooms.entry.confirmIdentity(conn, r),
  'lobby:wait': (rooms, conn) => rooms.entry.waitInLobby(conn),
  'room:leave': (rooms, conn) => rooms.departures.leave(conn),
  'host:admit': (rooms, conn, r) => rooms.host.admit(conn, r),
  'host:refuse': (rooms, conn, r) => rooms.host.refuse(conn, r),
  'host:remove': (rooms, conn, r) => rooms.host.remove(conn, r),
  'host:lock': (rooms, conn, r) => rooms.host.lock(conn, r),
  'host:mute': (rooms, conn, r) => rooms.host.mute(conn, r),
  'host:spotlight': (rooms, conn, r) => rooms.host.spotlight(conn, r),
  'host:allow-screen': (rooms, conn, r) => rooms.host.allowScreen(conn, r),
  'host:issue-code': (rooms, conn, r) => rooms.host.issueCode(conn, r),
  'host:session': (rooms, conn, r) => rooms.host.changeSession(conn, r),
  'host:caucus-open': (rooms, conn, r) => rooms.host.openCaucus(conn, r),
  'host:caucus-close': (rooms, conn, r) => rooms.host.closeCaucus(conn, r),
  'host:move': (rooms, conn, r) => rooms.host.move(conn, r),
  'host:show-evidence': (rooms, conn, r) => rooms.host.showEvidence(conn, r),
  'host:hide-evidence': (rooms, conn) => rooms.host.hideEvidence(conn),
  'host:recording': (rooms, conn, r) => rooms.recording.control(conn, r),
  'host:caucus-recording': (rooms, conn, r) => rooms.recording.setCaucusRecorded(conn, r),
  'recording:consent': (rooms, conn) => rooms.recording.consent(conn),
  'interpretation:listen': (rooms, conn, r) => rooms.interpretation.listen(conn, r),
  'hand:raise': (rooms, conn, r) => rooms.activity.raiseHand(conn, r),
  'chat:send': (rooms, conn, r) => rooms.activity.sendChat(conn, r),
  'chat:history': (rooms, conn) => rooms.activity.chatHistory(conn),
  'stats:report': (rooms, conn, r) => rooms.activity.reportStats(conn, r),
  'link:event': (rooms, conn, r) => rooms.activity.reportLinkEvent(conn, r),
  'media:start': (rooms, conn, r) => rooms.media.startMedia(conn, r),
  'media:ready': (rooms, conn, r) => rooms.media.mediaReady(conn, r),
  'media:connect': (rooms, conn, r) => rooms.media.connectTransport(conn, r),
  'media:restart-ice': (rooms, conn, r) => rooms.media.restartIce(conn, r),
  'media:produce': (rooms, conn, r) => rooms.media.produce(conn, r),
  'media:producer-close': (rooms, conn, r) => rooms.media.closeProducer(conn, r),
  'media:producer-pause': (rooms, conn, r) => rooms.media.pauseProducer(conn, r),
  'media:consumer-resume': (rooms, conn, r) => rooms.media.resumeConsumer(conn, r),
  'media:consumer-pause': (rooms, conn, r) => rooms.media.pauseConsumer(conn, r),
  'media:consumer-layers': (rooms, conn, r) => rooms.media.consumerLayers(conn, r),
  'media:audio-only': (rooms, conn, r) => rooms.media.audioOnly(conn, r),
};

/** Runs one event's handler on the request that event's schema parsed (the realtime plugin parses first). */
export function handleRoomEvent<E extends ClientEventName>(rooms: RoomsService, conn: Connection, event: E, request: Parsed<E>) {
  const handler: Handler<E> = roomHandlers[event];
  return handler(rooms, conn, request);
}
