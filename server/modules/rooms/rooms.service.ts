import type { ServerEventName, ServerPayload } from '../../../shared/realtime.ts';
import type { AccessWithdrawal } from '../sessions/access-effects.ts';
import { Departures } from './departures.ts';
import { HostControls } from './host-controls.ts';
import { Interpretation } from './interpretation.ts';
import type { LiveRoom } from './live-room.ts';
import { MediaSignalling } from './media-signalling.ts';
import { RoomActivity } from './room-activity.ts';
import type { RoomContext } from './room-context.ts';
import { RoomEntry } from './room-entry.ts';
import { RoomRecord } from './room-record.ts';
import { RoomRecording } from './room-recording.ts';
import { RoomRegistry } from './room-registry.ts';
import type { Connection, RoomsDeps } from './room-types.ts';
import { RoomViews } from './room-views.ts';

export type { Connection, EvidenceLookup, RoomsDeps, SocketIdentity } from './room-types.ts';

/**
 * Live mediation rooms, put together from parts with one job each: the registry of rooms held
 * (rebuilt from the database when needed), entry (enter, identity, lobby), the host's controls,
 * departures, media signalling, what everyone admitted does, and the batching of room views.
 * Socket handlers (rooms.handlers.ts) reach the parts; the transport calls the methods here.
 */
export class RoomsService {
  readonly registry: RoomRegistry;
  readonly views: RoomViews;
  readonly entry: RoomEntry;
  readonly host: HostControls;
  readonly departures: Departures;
  readonly media: MediaSignalling;
  readonly activity: RoomActivity;
  readonly recording: RoomRecording;
  readonly interpretation: Interpretation;

  constructor(deps: RoomsDeps) {
    this.registry = new RoomRegistry(deps);
    this.views = new RoomViews(this.registry, deps.notifier);
    const ctx: RoomContext = { deps, registry: this.registry, views: this.views, record: new RoomRecord(deps.db, deps.now) };
    this.recording = new RoomRecording(ctx);
    this.departures = new Departures(ctx);
    this.departures.onEnding = (room) => this.recording.sessionEnding(room);
    this.interpretation = new Interpretation(ctx);
    this.media = new MediaSignalling(ctx, this.recording, this.interpretation);
    this.entry = new RoomEntry(ctx, this.media);
    this.host = new HostControls(ctx, this.departures);
    this.activity = new RoomActivity(ctx);
    // Everyone a rebuilt room brings back gets the grace period anyone who drops gets.
    this.registry.onRestoredPeer = (room, peer) => this.departures.holdPlace(room, peer);
  }

  /** For tests and diagnostics. */
  roomOf(sessionId: string): LiveRoom | undefined {
    return this.registry.get(sessionId);
  }

  /** Just before an ack: this connection's view goes first if it changed. */
  viewBeforeAck(conn: Connection) {
    this.views.beforeAck(conn);
  }

  disconnected(conn: Connection) {
    this.departures.disconnected(conn);
  }

  /** A session ended or cancelled outside the room (HTTP): its live room, if open, ends as the host's end would. */
  async sessionClosed(sessionId: string): Promise<void> {
    const room = this.registry.get(sessionId);
    if (room && !room.ended) await this.departures.endRoom(room, 'the mediator ended the session');
  }

  withdrawAccess(withdrawal: AccessWithdrawal): Promise<void> {
    return this.departures.withdrawAccess(withdrawal);
  }

  /** Tells everyone admitted to a live room of the case (co-review of agreements). */
  notifyCase<E extends ServerEventName>(caseId: string, event: E, payload: ServerPayload<E>) {
    for (const room of this.registry.all()) {
      if (room.caseId !== caseId) continue;
      for (const peer of room.connectedPeers()) if (peer.state === 'admitted') this.registry.tell(peer, event, payload);
    }
  }

  /** Shutting down: every place is kept (clients come back after the restart). */
  shutdown() {
    this.views.shutdown();
    this.registry.shutdown();
  }
}
