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

/** Whose `room:state` may have changed since a room's last flush. */
interface PendingViews {
  everyone: boolean;
  hosts: boolean;
  peerIds: Set<string>;
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

  #pendingFor(room: LiveRoom): PendingViews {
    let pending = this.#pending.get(room);
    if (!pending) {
      let connected = 0;
      for (const peer of room.peers.values()) if (peer.socketId) connected++;
      const interval = Math.min(maxViewIntervalMs, connected * viewIntervalPerPeerMs);
      const wait = (this.#lastFlushAt.get(room) ?? -Infinity) + interval - performance.now();
      let cancel: () => void;
      if (wait > 0) {
        const timer = setTimeout(() => this.#flush(room), wait);
        cancel = () => clearTimeout(timer);
      } else {
        const immediate = setImmediate(() => this.#flush(room));
        cancel = () => clearImmediate(immediate);
      }
      pending = { everyone: false, hosts: false, peerIds: new Set(), cancel };
      this.#pending.set(room, pending);
    }
    return pending;
  }

  #flush(room: LiveRoom) {
    const pending = this.#pending.get(room);
    if (!pending) return;
    this.#pending.delete(room);
    this.#lastFlushAt.set(room, performance.now());
    if (room.ended || !this.registry.holds(room)) return;
    for (const peer of room.peers.values()) if (peer.socketId && isPendingFor(pending, peer)) this.#send(room, peer);
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
