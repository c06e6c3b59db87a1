import { and, asc, eq, inArray, isNull } from 'drizzle-orm';
import type { AttendanceState } from '../../../shared/domain/attendance.ts';
import type { Db } from '../../db/client.ts';
import { attendances, liveRooms, roomCaucuses } from '../../db/schema/index.ts';

export type LiveRoomRow = typeof liveRooms.$inferSelect;
export type CaucusRow = typeof roomCaucuses.$inferSelect;

export async function findLiveRoom(db: Db, sessionId: string) {
  const [row] = await db.select().from(liveRooms).where(eq(liveRooms.sessionId, sessionId));
  return row;
}

/** Writes the room's lock or spotlight, creating its row on the first decision. */
export async function saveLiveRoom(db: Db, sessionId: string, values: Partial<Pick<LiveRoomRow, 'locked' | 'spotlightAttendanceId'>>, at: Date) {
  const [row] = await db
    .insert(liveRooms)
    .values({ sessionId, ...values, updatedAt: at })
    .onConflictDoUpdate({ target: liveRooms.sessionId, set: { ...values, updatedAt: at } })
    .returning();
  return row!;
}

/** Takes the spotlight off someone no longer in the room; whether they had it. */
export async function clearSpotlightOf(db: Db, sessionId: string, attendanceId: string, at: Date) {
  const rows = await db
    .update(liveRooms)
    .set({ spotlightAttendanceId: null, updatedAt: at })
    .where(and(eq(liveRooms.sessionId, sessionId), eq(liveRooms.spotlightAttendanceId, attendanceId)))
    .returning({ sessionId: liveRooms.sessionId });
  return rows.length > 0;
}

export function listOpenCaucuses(db: Db, sessionId: string) {
  return db
    .select()
    .from(roomCaucuses)
    .where(and(eq(roomCaucuses.sessionId, sessionId), isNull(roomCaucuses.closedAt)))
    .orderBy(asc(roomCaucuses.openedAt), asc(roomCaucuses.id));
}

export async function findOpenCaucus(db: Db, sessionId: string, caucusId: string) {
  const [row] = await db
    .select()
    .from(roomCaucuses)
    .where(and(eq(roomCaucuses.id, caucusId), eq(roomCaucuses.sessionId, sessionId), isNull(roomCaucuses.closedAt)));
  return row;
}

export async function insertCaucus(db: Db, values: typeof roomCaucuses.$inferInsert) {
  const [row] = await db.insert(roomCaucuses).values(values).returning();
  return row!;
}

/** Closes an open caucus; undefined when it was not open (closed meanwhile, or another session's). */
export async function closeCaucus(db: Db, sessionId: string, caucusId: string, at: Date) {
  const [row] = await db
    .update(roomCaucuses)
    .set({ closedAt: at })
    .where(and(eq(roomCaucuses.id, caucusId), eq(roomCaucuses.sessionId, sessionId), isNull(roomCaucuses.closedAt)))
    .returning();
  return row;
}

/** Everyone of the session in `from` goes to `to`; returns who moved. */
export async function moveEveryone(db: Db, sessionId: string, from: string, to: string) {
  const rows = await db
    .update(attendances)
    .set({ space: to })
    .where(and(eq(attendances.sessionId, sessionId), eq(attendances.space, from)))
    .returning({ id: attendances.id });
  return rows.map((r) => r.id);
}

/** One person's space, only while they are admitted. */
export async function moveAdmitted(db: Db, sessionId: string, attendanceId: string, space: string) {
  const [row] = await db
    .update(attendances)
    .set({ space })
    .where(and(eq(attendances.id, attendanceId), eq(attendances.sessionId, sessionId), eq(attendances.state, 'admitted')))
    .returning();
  return row;
}

/** The attendance row, locked until the transaction ends (identity checks count guesses one at a time). */
export async function lockAttendance(db: Db, id: string) {
  const [row] = await db.select().from(attendances).where(eq(attendances.id, id)).for('update');
  return row;
}

/** Attendances of a session in the given states (a rebuilt room holds only those still present). */
export function listInStates(db: Db, sessionId: string, states: readonly AttendanceState[]) {
  return db
    .select()
    .from(attendances)
    .where(and(eq(attendances.sessionId, sessionId), inArray(attendances.state, [...states])))
    .orderBy(asc(attendances.createdAt), asc(attendances.id));
}
