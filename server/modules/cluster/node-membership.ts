import type { Db } from '../../db/client.ts';
import { LocalPauseDetector } from './local-pause.ts';
import * as repo from './nodes.repository.ts';

/** This process as one node of a cluster (HAIQIAO_NODE_ID). */
export interface NodeSettings {
  id: string;
  /** Where the proxy reaches this node's HTTP and socket.io. */
  httpUrl: string;
  /** Where browsers reach this node's media ports. */
  rtcAddress: string;
  /** Heartbeat period (default 1 s). */
  heartbeatMs?: number;
  /** A node silent this long is dead (default 6 s: HAIQIAO_NODE_STALE_MS). */
  staleMs?: number;
  /**
   * This node's own pass is late when its passes, its heartbeats (database time) or a heartbeat's
   * round trip are further apart than this: it then judges no other node dead (local-pause.ts).
   * Default: the larger of two beats and half of `staleMs` (3 s).
   */
  lateAfterMs?: number;
}

/** What the membership needs of the rooms this process holds. */
export interface HeldRooms {
  /** Rooms held plus connected peers. */
  load(): number;
  held(): string[];
  /** Placed elsewhere now (this node was taken for dead): let the room and its sockets go. */
  release(sessionId: string): void;
  /** Placed here (taken over from a dead node, or from before a restart): rebuild from the database. */
  adopt(sessionId: string): Promise<void>;
}

interface Log {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/**
 * Registration, heartbeat and failover. Every tick the node refreshes its row; places again the
 * rooms of nodes silent for `staleMs` (least-loaded live node, conditional claim), unless its own
 * pass came late (then its view of the others is as stale as theirs of it: LocalPauseDetector);
 * and makes what it holds match what the database places on it: rooms placed here are rebuilt,
 * rooms placed elsewhere let go.
 */
export class NodeMembership {
  readonly id: string;
  readonly heartbeatMs: number;
  readonly staleMs: number;
  readonly lateAfterMs: number;
  #timer: NodeJS.Timeout | null = null;
  #tick: Promise<void> | null = null;
  #rooms: HeldRooms | null = null;
  /** Nodes this one has seen dead (each logged once, when first seen). */
  readonly #seenDead = new Set<string>();
  readonly #pause: LocalPauseDetector;

  readonly #db: Db;
  readonly #log: Log;
  readonly #settings: NodeSettings;

  private constructor(db: Db, log: Log, settings: NodeSettings) {
    this.#db = db;
    this.#log = log;
    this.#settings = settings;
    this.id = settings.id;
    this.heartbeatMs = settings.heartbeatMs ?? 1_000;
    this.staleMs = settings.staleMs ?? 6_000;
    // At most staleMs: a judge fresh by this measure is then live, so a room it takes over always lands on a live node.
    this.lateAfterMs = Math.min(settings.lateAfterMs ?? Math.max(2 * this.heartbeatMs, this.staleMs / 2), this.staleMs);
    this.#pause = new LocalPauseDetector(this.lateAfterMs);
  }

  static async join(db: Db, settings: NodeSettings, log: Log) {
    await repo.registerNode(db, settings);
    return new NodeMembership(db, log, settings);
  }

  /**
   * The node a room is placed on, placing it now if no live node holds it (taking it from a
   * silent node only while this node is on time itself: not during a late episode).
   */
  claim(sessionId: string): Promise<string | null> {
    return repo.claimRoom(this.#db, sessionId, this.staleMs, this.#pause.judging ? { id: this.id, freshMs: this.lateAfterMs } : null);
  }

  start(rooms: HeldRooms) {
    this.#rooms = rooms;
    this.#timer = setInterval(() => void this.tick(), this.heartbeatMs);
    this.#timer.unref();
  }

  /** One heartbeat and failover pass (never two at once). */
  tick(): Promise<void> {
    this.#tick ??= this.#pass()
      .catch((err: unknown) => this.#log.error({ err, node: this.id }, 'node heartbeat failed'))
      .finally(() => (this.#tick = null));
    return this.#tick;
  }

  async #pass() {
    const rooms = this.#rooms;
    if (!rooms) return;
    const startedAt = performance.now();
    let beatAt = await repo.heartbeat(this.#db, this.id, rooms.load());
    const roundTripMs = performance.now() - startedAt;
    if (!beatAt) {
      this.#log.warn({ node: this.id }, 'node row gone (taken for shut down): joining again');
      beatAt = (await repo.registerNode(this.#db, this.#settings)).heartbeatAt;
    }
    const verdict = this.#pause.observe({ startedAt, beatAt, roundTripMs });
    if (verdict.judge) {
      if (verdict.resumed) this.#log.info({ node: this.id, ...verdict.resumed }, 'failover resumed: this node is on time again');
      await this.#failover(startedAt);
    } else if (verdict.newEpisode) {
      // Once per episode: the passes skipped are counted when it ends (above).
      this.#log.warn({ node: this.id, ...verdict.late, lateAfterMs: this.lateAfterMs }, 'failover skipped: this node was late itself, so its view of the others is stale');
    }
    await this.#holdWhatIsPlacedHere(rooms);
  }

  /** Rooms of nodes silent for `staleMs` are placed again (the claim judges again, in one statement). */
  async #failover(passStartedAt: number) {
    const dead = await repo.listDeadNodes(this.#db, this.staleMs);
    // Delayed since this pass began: not a reading to judge on (the next pass starts late and says so).
    if (performance.now() - passStartedAt > this.lateAfterMs) return;
    for (const node of dead) {
      if (this.#seenDead.has(node.id)) continue;
      this.#seenDead.add(node.id);
      this.#log.info({ deadNode: node.id, lastHeartbeatAt: node.heartbeatAt, node: this.id, detectedAt: Date.now() }, 'failover: a node stopped beating');
    }
    for (const id of this.#seenDead) if (!dead.some((node) => node.id === id)) this.#seenDead.delete(id);
    for (const orphan of await repo.roomsOfDeadNodes(this.#db, this.staleMs)) {
      const owner = await this.claim(orphan.sessionId);
      if (owner === this.id) this.#log.info({ sessionId: orphan.sessionId, deadNode: orphan.nodeId, node: this.id }, 'failover: took over a room of a dead node');
    }
  }

  /** The placement is the truth: rooms placed here are rebuilt, rooms placed elsewhere let go. */
  async #holdWhatIsPlacedHere(rooms: HeldRooms) {
    const placed = await repo.roomsPlacedOn(this.#db, this.id);
    const held = rooms.held();
    for (const sessionId of held) {
      if (placed.has(sessionId)) continue;
      this.#log.warn({ sessionId, node: this.id }, 'failover: a room held here is placed elsewhere now (this node taken for dead, or the session over): letting it go');
      rooms.release(sessionId);
    }
    for (const sessionId of placed) {
      if (held.includes(sessionId)) continue;
      await rooms.adopt(sessionId).catch((err: unknown) => this.#log.error({ err, sessionId }, 'could not rebuild a room placed on this node'));
    }
  }

  /** Shutting down: no more heartbeats, rooms handed back for the others to place at once. */
  async stop() {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#tick;
    this.#rooms = null;
    await repo.leave(this.#db, this.id);
  }
}
