import { presentStates } from '../../../shared/domain/attendance.ts';
import type { ServerEventName, ServerPayload } from '../../../shared/realtime.ts';
import { AppError, forbidden, notFound, WrongNodeError } from '../../errors.ts';
import { findCase } from '../cases/cases.repository.ts';
import { findSession } from '../sessions/sessions.repository.ts';
import { LiveRoom, type RoomPeer } from './live-room.ts';
import { type Connection, notInRoom, type RoomsDeps } from './room-types.ts';
import * as state from './room-state.repository.ts';
import * as recordings from './recording.repository.ts';

/**
 * The live rooms this server holds, and the lookups every request starts with (who is this
 * connection, in which room). A room not held yet is rebuilt from the database, as after a
 * restart (or, later, on another node): the admitted set, caucuses and who is in them, mutes,
 * screen permissions, the lock and the spotlight all come back as decided.
 */
export class RoomRegistry {
  readonly #rooms = new Map<string, LiveRoom>();
  readonly #loading = new Map<string, Promise<LiveRoom>>();
  /** Shutting down: nothing more goes out. */
  closing = false;
  /** Called for everyone restored without a connection (set by the service: their grace period starts). */
  onRestoredPeer: (room: LiveRoom, peer: RoomPeer) => void = () => undefined;

  private readonly deps: RoomsDeps;

  constructor(deps: RoomsDeps) {
    this.deps = deps;
  }

  get(sessionId: string): LiveRoom | undefined {
    return this.#rooms.get(sessionId);
  }

  /** Whether this room is still the one held for its session (not ended or replaced meanwhile). */
  holds(room: LiveRoom): boolean {
    return !this.closing && this.#rooms.get(room.sessionId) === room;
  }

  all(): IterableIterator<LiveRoom> {
    return this.#rooms.values();
  }

  forget(room: LiveRoom) {
    if (this.#rooms.get(room.sessionId) === room) this.#rooms.delete(room.sessionId);
  }

  async open(sessionId: string): Promise<LiveRoom> {
    const existing = this.#rooms.get(sessionId);
    if (existing) return existing;
    let loading = this.#loading.get(sessionId);
    if (!loading) {
      loading = this.#load(sessionId).finally(() => this.#loading.delete(sessionId));
      this.#loading.set(sessionId, loading);
    }
    return loading;
  }

  async #load(sessionId: string): Promise<LiveRoom> {
    const { db, placement } = this.deps;
    const session = await findSession(db, sessionId);
    if (!session) throw notFound('session');
    if (placement) {
      // One node per room: another live node holding it answers this person instead.
      const owner = await placement.claim(sessionId);
      if (owner !== placement.nodeId) throw new WrongNodeError(owner);
    }
    const found = await findCase(db, session.caseId);
    const [saved, caucuses, rows, recording] = await Promise.all([
      state.findLiveRoom(db, sessionId),
      state.listOpenCaucuses(db, sessionId),
      state.listInStates(db, sessionId, presentStates),
      recordings.findOpenRecording(db, sessionId),
    ]);
    const room = new LiveRoom(session.id, session.caseId, found!.case.number, session.title, session.status);
    room.restore(saved, caucuses);
    if (recording && recording.state !== 'stopped') {
      // Running when this server took the room over (restart, or another node): it resumes with
      // the room's media, and the time since its last stored segment is stored as a gap.
      const from = recording.state === 'running' ? ((await recordings.lastSegmentEnd(db, recording.id)) ?? recording.updatedAt) : null;
      room.recording = {
        id: recording.id,
        state: recording.state,
        consented: new Set(await recordings.listConsents(db, recording.id)),
        resumeGap: from ? { reason: 'server_restart', from } : null,
        problem: null,
      };
    }
    for (const row of rows) room.peerFromRow(row);
    this.#rooms.set(sessionId, room);
    for (const peer of room.peers.values()) this.onRestoredPeer(room, peer);
    return room;
  }

  peerOf(conn: Connection): { room: LiveRoom; peer: RoomPeer } {
    const room = conn.sessionId ? this.#rooms.get(conn.sessionId) : undefined;
    const peer = conn.peerId ? room?.peers.get(conn.peerId) : undefined;
    if (!room || !peer || peer.socketId !== conn.socketId) throw notInRoom();
    return { room, peer };
  }

  admittedOf(conn: Connection) {
    const found = this.peerOf(conn);
    if (found.peer.state !== 'admitted') throw new AppError('NOT_ADMITTED', 'wait until the mediator admits you');
    return found;
  }

  hostOf(conn: Connection) {
    const found = this.admittedOf(conn);
    if (!found.peer.isHost) throw forbidden('only the mediator can do this');
    return found;
  }

  target(room: LiveRoom, peerId: string): RoomPeer {
    const peer = room.peers.get(peerId);
    if (!peer) throw notFound('participant in this room');
    return peer;
  }

  tell<E extends ServerEventName>(peer: RoomPeer, event: E, payload: ServerPayload<E>) {
    if (peer.socketId) this.deps.notifier.emit(peer.socketId, event, payload);
  }

  /** Rooms held plus connected peers: this node's load for placement. */
  load(): number {
    let load = 0;
    for (const room of this.#rooms.values()) load += 1 + room.connectedPeers().length;
    return load;
  }

  /**
   * The room is placed on another node now (this one was taken for dead): its connections end
   * (the clients reconnect and are sent there); every place is kept in the database.
   */
  release(sessionId: string) {
    const room = this.#rooms.get(sessionId);
    if (!room) return;
    this.#rooms.delete(sessionId);
    for (const peer of room.peers.values()) {
      if (peer.graceTimer) clearTimeout(peer.graceTimer);
      if (peer.socketId) this.deps.notifier.disconnect(peer.socketId, 'this session moved to another server');
    }
    room.media?.close();
  }

  /** Shutting down: every place is kept in the database (clients come back after the restart). */
  shutdown() {
    this.closing = true;
    for (const room of this.#rooms.values()) {
      for (const peer of room.peers.values()) if (peer.graceTimer) clearTimeout(peer.graceTimer);
      // As a crash would: segments in progress are lost; the next server stores the gap.
      room.recorder?.abandon();
      room.media?.close();
    }
    this.#rooms.clear();
  }
}
