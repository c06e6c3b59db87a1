import type { LiveRoom, RoomPeer } from './live-room.ts';
import type { RoomRegistry } from './room-registry.ts';
import type { Connection, RoomNotifier } from './room-types.ts';

/**
 * How often a room's views may go out, in a burst of changes: a flush costs about one view per
 * connected peer, so the bigger the room the more changes one flush gathers — 0.5 ms per
 * connected peer (a room of 6: 3 ms; of 100 or more: 50 ms). A change after a quiet spell goes at
 * the end of the event-loop turn, and whoever made a change gets their own view before the ack
 * in any case (viewBeforeAck).
 */
const viewIntervalPerPeerMs = 0.5;
const maxViewIntervalMs = 50;
/**
 * A change everyone sees (someone admitted, a hand raised) is sent to the participants who are
 * not hosts no more often than 2.5 ms per connected peer (a room of 6: 15 ms; of 100: 250 ms; of
 * 200 or more: 500 ms, the cap). Each such flush sends every admitted participant a view that
 * lists everyone admitted, so its cost grows with the square of the room: in a join storm this
 * fan-out, not the joins, was the server's main cost once the storm outlasted a few flushes.
 * The hosts (who admit from their view) keep the shorter interval above.
 */
const participantsIntervalPerPeerMs = 2.5;
const maxParticipantsIntervalMs = 500;

/** Whose `room:state` may have changed since a room's last flush. */
interface PendingViews {
  everyone: boolean;
  hosts: boolean;
  peerIds: Set<string>;
  /** When the flush is scheduled (performance.now()). */
  dueAt: number;
  cancel(): void;
}

/**
 * Sends each connected peer its `room:state`. A room's changes are gathered and sent together,
 * at the end of the event-loop turn (setImmediate) or, in a burst, no sooner than the room's
 * interval after its previous flush, instead of every connected peer getting a view per change;
 * an unchanged view is not sent again.
 */
export class RoomViews {
  readonly #pending = new Map<LiveRoom, PendingViews>();
  readonly #lastFlushAt = new WeakMap<LiveRoom, number>();
  /** When the participants (not only the hosts) last got a change everyone sees. */
  readonly #lastEveryoneAt = new WeakMap<LiveRoom, number>();
  /** The last `room:state` sent on each socket, serialised. */
  readonly #sent = new Map<string, string>();

  private readonly registry: RoomRegistry;
  private readonly notifier: RoomNotifier;

  constructor(
    registry: RoomRegistry,
    notifier: RoomNotifier,
  ) {
    this.registry = registry;
    this.notifier = notifier;
  }

  /** Everyone's view may have changed. */
  broadcast(room: LiveRoom) {
    this.#pendingFor(room).everyone = true;
  }

  /** A change only the hosts see (network test, link quality, the lobby), and those peers themselves. */
  toHosts(room: LiveRoom, ...peers: RoomPeer[]) {
    const pending = this.#pendingFor(room);
    pending.hosts = true;
    for (const peer of peers) pending.peerIds.add(peer.peerId);
  }

  /** This socket gets the current view next, whatever it was sent before. */
  forgetSocket(socketId: string) {
    this.#sent.delete(socketId);
  }

  /** No more views for this room (it ended). */
  drop(room: LiveRoom) {
    this.#pending.get(room)?.cancel();
    this.#pending.delete(room);
  }

  shutdown() {
    for (const pending of this.#pending.values()) pending.cancel();
    this.#pending.clear();
    this.#sent.clear();
  }

  /**
   * Called just before an ack goes out on this connection: if a change (its own or anyone's)
   * is waiting to be sent and concerns this peer, its view goes now, so that the room:state
   * reflecting a request precedes that request's ack, as when every change was sent at once.
   */
  beforeAck(conn: Connection) {
    const room = conn.sessionId ? this.registry.get(conn.sessionId) : undefined;
    const pending = room && this.#pending.get(room);
    const peer = conn.peerId ? room?.peers.get(conn.peerId) : undefined;
    if (!room || !pending || !peer || peer.socketId !== conn.socketId || room.ended || this.registry.closing) return;
    if (isPendingFor(pending, peer)) this.#send(room, peer);
  }

  #connected(room: LiveRoom) {
    let connected = 0;
    for (const peer of room.peers.values()) if (peer.socketId) connected++;
    return connected;
  }

  #everyoneDueAt(room: LiveRoom) {
    const interval = Math.min(maxParticipantsIntervalMs, this.#connected(room) * participantsIntervalPerPeerMs);
    return (this.#lastEveryoneAt.get(room) ?? -Infinity) + interval;
  }

  /**
   * The room's pending changes, flushed no later than the room's (short) interval after its last
   * flush: a flush held back for the participants' interval is brought forward for the hosts.
   */
  #pendingFor(room: LiveRoom): PendingViews {
    let pending = this.#pending.get(room);
    if (!pending) {
      pending = { everyone: false, hosts: false, peerIds: new Set(), dueAt: Infinity, cancel: () => undefined };
      this.#pending.set(room, pending);
    }
    const interval = Math.min(maxViewIntervalMs, this.#connected(room) * viewIntervalPerPeerMs);
    const due = (this.#lastFlushAt.get(room) ?? -Infinity) + interval;
    if (due < pending.dueAt) this.#schedule(room, pending, due);
    return pending;
  }

  /** (Re)schedules the room's flush at `dueAt`, or at the end of this turn when that has passed. */
  #schedule(room: LiveRoom, pending: PendingViews, dueAt: number) {
    pending.cancel();
    pending.dueAt = dueAt;
    const wait = dueAt - performance.now();
    if (wait > 0) {
      const timer = setTimeout(() => this.#flush(room), wait);
      pending.cancel = () => clearTimeout(timer);
    } else {
      const immediate = setImmediate(() => this.#flush(room));
      pending.cancel = () => clearImmediate(immediate);
    }
  }

  #flush(room: LiveRoom) {
    const pending = this.#pending.get(room);
    if (!pending) return;
    this.#pending.delete(room);
    const now = performance.now();
    this.#lastFlushAt.set(room, now);
    if (room.ended || !this.registry.holds(room)) return;
    // Everyone's change reaches the participants at their own interval; until then only the hosts.
    const everyoneNow = pending.everyone && this.#everyoneDueAt(room) <= now;
    if (everyoneNow) this.#lastEveryoneAt.set(room, now);
    const sendNow: PendingViews = { ...pending, everyone: everyoneNow, hosts: pending.hosts || pending.everyone };
    for (const peer of room.peers.values()) if (peer.socketId && isPendingFor(sendNow, peer)) this.#send(room, peer);
    if (pending.everyone && !everyoneNow) {
      const deferred: PendingViews = { everyone: true, hosts: false, peerIds: new Set(), dueAt: Infinity, cancel: () => undefined };
      this.#pending.set(room, deferred);
      this.#schedule(room, deferred, this.#everyoneDueAt(room));
    }
  }

  #send(room: LiveRoom, peer: RoomPeer) {
    const socketId = peer.socketId;
    if (!socketId) return;
    const view = room.viewFor(peer);
    const serialised = JSON.stringify(view);
    if (this.#sent.get(socketId) === serialised) return;
    this.#sent.set(socketId, serialised);
    this.notifier.emit(socketId, 'room:state', view);
  }
}

function isPendingFor(pending: PendingViews, peer: RoomPeer) {
  return pending.everyone || (pending.hosts && peer.isHost) || pending.peerIds.has(peer.peerId);
}
