import { and, eq, isNotNull, notInArray, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { liveRooms, nodes, sessions } from '../../db/schema/index.ts';

/** Times are the database's own (`now()`), so nodes with skewed clocks still agree on who is alive. */
const freshSince = (staleMs: number) => sql`now() - ${staleMs} * interval '1 millisecond'`;
const liveNodeIds = (staleMs: number) => sql`select ${nodes.id} from ${nodes} where ${nodes.heartbeatAt} > ${freshSince(staleMs)}`;
const leastLoadedLiveNode = (staleMs: number) => sql`(${liveNodeIds(staleMs)} order by ${nodes.load}, ${nodes.id} limit 1)`;

/** A node starting (or restarting under the same id) announces itself. */
export async function registerNode(db: Db, node: { id: string; httpUrl: string; rtcAddress: string }) {
  const at = sql`now()`;
  const [row] = await db
    .insert(nodes)
    .values({ ...node, load: 0, startedAt: at, heartbeatAt: at })
    .onConflictDoUpdate({ target: nodes.id, set: { httpUrl: node.httpUrl, rtcAddress: node.rtcAddress, load: 0, startedAt: at, heartbeatAt: at } })
    .returning();
  return row!;
}

/** The node is alive with this load: the database's time of this heartbeat; null when its row is gone (then it registers again). */
export async function heartbeat(db: Db, nodeId: string, load: number): Promise<Date | null> {
  const [row] = await db.update(nodes).set({ heartbeatAt: sql`now()`, load }).where(eq(nodes.id, nodeId)).returning({ heartbeatAt: nodes.heartbeatAt });
  return row?.heartbeatAt ?? null;
}

export function listLiveNodes(db: Db, staleMs: number) {
  return db.select().from(nodes).where(sql`${nodes.heartbeatAt} > ${freshSince(staleMs)}`).orderBy(nodes.load, nodes.id);
}

/** Nodes registered but silent for `staleMs`: dead (or cut off from the database). */
export function listDeadNodes(db: Db, staleMs: number) {
  return db.select({ id: nodes.id, heartbeatAt: nodes.heartbeatAt }).from(nodes).where(sql`${nodes.heartbeatAt} <= ${freshSince(staleMs)}`);
}

/** The node claiming a room, and how recent its own heartbeat must be for it to take a room from a silent node. */
export interface Judge {
  id: string;
  freshMs: number;
}

/**
 * Places a room: if no live node holds it, the least-loaded live node gets it, in one conditional
 * statement (two nodes claiming at once: the row lock makes the second see the first's choice).
 * Both sides of the judgement are read in that statement, by the database's clock: the holder is
 * silent for `staleMs` (not on an earlier reading), and the judge's own heartbeat is younger than
 * `judge.freshMs` (a judge delayed between its heartbeat and this claim cannot take a room on what
 * it read before its delay). An unplaced room needs no judgement; with no judge (the claiming node
 * is in a late episode) only unplaced rooms are placed.
 * Returns the node holding the room afterwards (null: no node is alive).
 */
export async function claimRoom(db: Db, sessionId: string, staleMs: number, judge: Judge | null): Promise<string | null> {
  const chosen = leastLoadedLiveNode(staleMs);
  const judgeIsFresh = judge
    ? sql`exists (select 1 from ${nodes} where ${nodes.id} = ${judge.id} and ${nodes.heartbeatAt} > now() - ${judge.freshMs} * interval '1 millisecond')`
    : sql`false`;
  const [placed] = await db
    .insert(liveRooms)
    .values({ sessionId, nodeId: chosen })
    .onConflictDoUpdate({
      target: liveRooms.sessionId,
      set: { nodeId: chosen },
      setWhere: sql`${liveRooms.nodeId} is null or (${liveRooms.nodeId} not in (${liveNodeIds(staleMs)}) and ${judgeIsFresh})`,
    })
    .returning({ nodeId: liveRooms.nodeId });
  if (placed) return placed.nodeId;
  const [held] = await db.select({ nodeId: liveRooms.nodeId }).from(liveRooms).where(eq(liveRooms.sessionId, sessionId));
  return held?.nodeId ?? null;
}

/** Sessions not over whose rooms are placed on this node. */
export async function roomsPlacedOn(db: Db, nodeId: string) {
  const rows = await db
    .select({ sessionId: liveRooms.sessionId })
    .from(liveRooms)
    .innerJoin(sessions, eq(sessions.id, liveRooms.sessionId))
    .where(and(eq(liveRooms.nodeId, nodeId), notInArray(sessions.status, ['ended', 'cancelled'])));
  return new Set(rows.map((r) => r.sessionId));
}

/** A node shutting down hands its rooms back (the next connection places them) and leaves. */
export async function leave(db: Db, nodeId: string) {
  await db.transaction(async (tx) => {
    await tx.update(liveRooms).set({ nodeId: null }).where(eq(liveRooms.nodeId, nodeId));
    await tx.delete(nodes).where(eq(nodes.id, nodeId));
  });
}

/** Rooms of sessions not over whose node stopped sending heartbeats: to be placed again. */
export function roomsOfDeadNodes(db: Db, staleMs: number) {
  return db
    .select({ sessionId: liveRooms.sessionId, nodeId: liveRooms.nodeId })
    .from(liveRooms)
    .innerJoin(sessions, eq(sessions.id, liveRooms.sessionId))
    .where(and(isNotNull(liveRooms.nodeId), notInArray(sessions.status, ['ended', 'cancelled']), sql`${liveRooms.nodeId} not in (${liveNodeIds(staleMs)})`));
}
