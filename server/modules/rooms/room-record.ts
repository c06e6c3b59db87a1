import { attendanceMachine, type AttendanceState, isPresent } from '../../../shared/domain/attendance.ts';
import { type AuditActor, type AuditDataOf, auditEvent } from '../../../shared/audit-events.ts';
import type { ListeningChoices, ListeningMode } from '../../../shared/domain/interpretation.ts';
import type { AccessWithdrawnCause } from '../../../shared/realtime.ts';
import type { Db } from '../../db/client.ts';
import { hashToken } from '../../security/tokens.ts';
import { conflict, notFound } from '../../errors.ts';
import { appendAuditEvent, changeAudited } from '../audit/audit.repository.ts';
import { applyTransition, applyTransitionAudited, isStaleTransition } from '../transitions.ts';
import * as repo from './attendance.repository.ts';
import type { LiveRoom, RoomPeer } from './live-room.ts';
import * as state from './room-state.repository.ts';

export const maxIdentityFailures = 5;
/** Wrong guesses one one-time code survives: then it is void and the mediator issues another. */
export const maxCodeGuesses = 5;

/** What is stored of a one-time code: its hash, salted with the attendance it was issued to. */
export function oneTimeCodeHash(attendanceId: string, code: string) {
  return hashToken(`${attendanceId}:${code}`);
}

/** Who acted, for the audit trail: an attendance row or a peer (staff, or a participant). */
export function actorOf({ staffUserId, participantId }: { staffUserId: string | null; participantId: string | null }): Extract<AuditActor, { kind: 'staff' | 'participant' }> {
  return staffUserId ? { kind: 'staff', staffUserId } : { kind: 'participant', participantId: participantId! };
}

/** The audit event of each attendance move (shared/audit-events.ts: `attendanceMove`). */
type AttendanceMoveType = 'attendance.lobby_entered' | 'attendance.admitted' | 'attendance.refused' | 'attendance.removed' | 'attendance.left';
type AttendanceMoveDetail = { reason?: string | null; cause?: AccessWithdrawnCause };
/** Host decisions recorded with the session they were taken in. */
type RoomDecisionType =
  | 'room.lock_changed'
  | 'room.spotlight_changed'
  | 'room.caucus_opened'
  | 'room.caucus_closed'
  | 'attendance.host_muted'
  | 'attendance.screen_permission_changed'
  | 'attendance.code_issued'
  | 'attendance.moved';

/** What a move needs of an attendance: the stored row, or the live copy of it. */
type MovingAttendance = Pick<repo.AttendanceRow, 'id' | 'state' | 'sessionId' | 'staffUserId' | 'participantId'>;

type IdentityMethod = 'id_last4' | 'one_time_code';
export type IdentityOutcome = { ok: true; method: IdentityMethod } | { ok: false; method: IdentityMethod; failures: number; codeVoid: boolean };

/**
 * Every decision about a room or a person in it, written to the database in one transaction
 * with its audit event, before the live room changes: what any server rebuilds a room from.
 * Each write is conditional on the state it was decided from.
 */
export class RoomRecord {
  private readonly db: Db;
  private readonly now: () => Date;

  constructor(
    db: Db,
    now: () => Date,
  ) {
    this.db = db;
    this.now = now;
  }

  /** An attendance state change along the attendance machine (caseId: the session's, for the audit event). */
  async move(row: MovingAttendance, to: AttendanceState, values: Partial<repo.AttendanceRow>, type: AttendanceMoveType, caseId: string, detail: AttendanceMoveDetail = {}) {
    if (isPresent(to)) {
      // Into the lobby or the room: the move is the whole change, so it and its event are one statement.
      return applyTransitionAudited(this.db, {
        subject: 'attendance',
        machine: attendanceMachine,
        from: row.state,
        to,
        change: (event) => repo.moveAttendanceAudited(this.db, row.id, row.state, { ...values, state: to }, event),
        event: { ...auditEvent(type, { sessionId: row.sessionId, attendanceId: row.id, from: row.state, to, ...detail }), caseId, actor: actorOf(row) },
      });
    }
    return this.db.transaction(async (tx) => {
      let unspotlit = false;
      return applyTransition(tx, {
        subject: 'attendance',
        machine: attendanceMachine,
        from: row.state,
        to,
        update: async () => {
          const moved = await repo.moveAttendance(tx, row.id, row.state, { ...values, state: to });
          // Out of the room is out of the spotlight, in the record too: else it returns with them.
          if (moved && !isPresent(to)) unspotlit = await state.clearSpotlightOf(tx, row.sessionId, row.id, this.now());
          return moved;
        },
        event: () => ({
          ...auditEvent(type, { sessionId: row.sessionId, attendanceId: row.id, from: row.state, to, ...(unspotlit ? { spotlightCleared: true as const } : {}), ...detail }),
          caseId,
          actor: actorOf(row),
        }),
      });
    });
  }

  /**
   * A move decided from the live copy's state, without reading the row first (two round trips
   * fewer on every lobby entry and admission). The update is conditional on that state, so a
   * row that moved meanwhile is never overwritten: then the stored row is read and the move
   * decided from it, as it always was.
   */
  async moveFromCurrent(room: LiveRoom, peer: RoomPeer, to: AttendanceState, values: Partial<repo.AttendanceRow>, type: AttendanceMoveType, detail?: AttendanceMoveDetail) {
    const live = { id: peer.peerId, state: peer.state, sessionId: room.sessionId, staffUserId: peer.staffUserId, participantId: peer.participantId };
    try {
      return await this.move(live, to, values, type, room.caseId, detail);
    } catch (error) {
      if (!isStaleTransition(error)) throw error;
    }
    const row = await repo.findAttendance(this.db, peer.peerId);
    if (!row) throw notFound('attendance');
    return this.move(row, to, values, type, room.caseId, detail);
  }

  async setLocked(room: LiveRoom, host: RoomPeer, locked: boolean) {
    await this.db.transaction(async (tx) => {
      await state.saveLiveRoom(tx, room.sessionId, { locked }, this.now());
      await this.#audit(tx, room, host, 'room.lock_changed', { locked });
    });
  }

  async setSpotlight(room: LiveRoom, host: RoomPeer, peerId: string | null) {
    await this.db.transaction(async (tx) => {
      if (peerId !== null) {
        const target = await state.lockAttendance(tx, peerId);
        if (!target || target.sessionId !== room.sessionId || target.state !== 'admitted') throw conflict('only someone in the room can be spotlit');
      }
      await state.saveLiveRoom(tx, room.sessionId, { spotlightAttendanceId: peerId }, this.now());
      await this.#audit(tx, room, host, 'room.spotlight_changed', { attendanceId: peerId });
    });
  }

  async setHostMuted(room: LiveRoom, host: RoomPeer, target: RoomPeer, kind: 'audio' | 'video', muted: boolean) {
    await this.#decideOnPresent(room, host, target, kind === 'audio' ? { hostMutedAudio: muted } : { hostMutedVideo: muted }, 'attendance.host_muted', { attendanceId: target.peerId, kind, muted });
  }

  async setScreenPermission(room: LiveRoom, host: RoomPeer, target: RoomPeer, allowed: boolean) {
    await this.#decideOnPresent(room, host, target, { canShareScreen: allowed }, 'attendance.screen_permission_changed', { attendanceId: target.peerId, allowed });
  }

  /** A new one-time code (its hash): the ID-number route closes, the guess count starts again. */
  async issueCode(room: LiveRoom, host: RoomPeer, target: RoomPeer, codeHash: string, expiresAt: Date) {
    await this.#decideOnPresent(
      room,
      host,
      target,
      { oneTimeCodeHash: codeHash, oneTimeCodeExpiresAt: expiresAt, oneTimeCodeFailures: 0, identityFailures: maxIdentityFailures },
      'attendance.code_issued',
      { attendanceId: target.peerId, expiresAt: expiresAt.toISOString() },
    );
  }

  /**
   * A host decision about someone still present in this session (not refused, removed or left):
   * the conditional update and its audit event in one statement.
   */
  async #decideOnPresent<T extends RoomDecisionType>(room: LiveRoom, host: RoomPeer, target: RoomPeer, values: Partial<repo.AttendanceRow>, type: T, data: Omit<AuditDataOf<T>, 'sessionId'>) {
    const event = auditEvent(type, { sessionId: room.sessionId, ...data } as AuditDataOf<T>);
    const row = await repo.updatePresentAudited(this.db, target.peerId, room.sessionId, values, { ...event, caseId: room.caseId, actor: actorOf(host) });
    if (!row) throw conflict(`${target.displayName} is not in this session`);
    return row;
  }

  async openCaucus(room: LiveRoom, host: RoomPeer, id: string, name: string) {
    await this.db.transaction(async (tx) => {
      await state.insertCaucus(tx, { id, sessionId: room.sessionId, name, openedAt: this.now() });
      await this.#audit(tx, room, host, 'room.caucus_opened', { caucusId: id, name });
    });
  }

  /** Closes the caucus and brings everyone in it back to the joint room; returns who came back. */
  async closeCaucus(room: LiveRoom, host: RoomPeer, caucusId: string, jointSpace: string) {
    return this.db.transaction(async (tx) => {
      const closed = await state.closeCaucus(tx, room.sessionId, caucusId, this.now());
      if (!closed) throw notFound('caucus');
      const moved = await state.moveEveryone(tx, room.sessionId, caucusId, jointSpace);
      await this.#audit(tx, room, host, 'room.caucus_closed', { caucusId, returned: moved });
      return moved;
    });
  }

  /** Someone admitted goes to the joint room or an open caucus. */
  async moveToSpace(room: LiveRoom, host: RoomPeer, target: RoomPeer, space: string, jointSpace: string) {
    await this.db.transaction(async (tx) => {
      if (space !== jointSpace && !(await state.findOpenCaucus(tx, room.sessionId, space))) throw notFound('caucus');
      const before = await state.lockAttendance(tx, target.peerId);
      const moved = await state.moveAdmitted(tx, room.sessionId, target.peerId, space);
      if (!moved || !before) throw conflict(`${target.displayName} is not in the room`);
      await this.#audit(tx, room, host, 'attendance.moved', { attendanceId: target.peerId, from: before.space, to: space });
    });
  }

  /** A listener's choice of what they hear of one speaker (interpreter channel), with its audit event. */
  async setListening(room: LiveRoom, listener: RoomPeer, speakerPeerId: string, mode: ListeningMode, listening: ListeningChoices) {
    await this.db.transaction(async (tx) => {
      await this.#updatePresent(tx, room, listener, { listening });
      const event = auditEvent('attendance.listening_changed', { sessionId: room.sessionId, attendanceId: listener.peerId, speakerAttendanceId: speakerPeerId, mode });
      await appendAuditEvent(tx, { ...event, caseId: room.caseId, actor: actorOf(listener) });
    });
  }

  /**
   * Identity confirmed by the one-time code whose hash is `codeHash`, in one statement with its
   * audit event, when that code is the attendance's, unexpired and not spent (the usual case of
   * a code typed right). False: nothing was changed or recorded, and checkIdentity decides (it
   * counts a miss, or tells why the code is not accepted).
   */
  async confirmByCode(room: LiveRoom, peer: RoomPeer, codeHash: string): Promise<boolean> {
    const event = auditEvent('attendance.identity_confirmed', { sessionId: room.sessionId, attendanceId: peer.peerId, method: 'one_time_code' });
    const check = { codeHash, now: this.now(), maxCodeGuesses, maxIdentityFailures };
    return (await repo.confirmByCodeAudited(this.db, peer.peerId, check, { ...event, caseId: room.caseId, actor: actorOf(peer) })) !== undefined;
  }

  /**
   * Checks an identity answer with the attendance locked, so guesses are counted one at a time
   * (`method` decides on the locked row which method is asked for, and throws to refuse another):
   * a match is recorded as confirmed; a miss is counted (ID-number misses up to
   * maxIdentityFailures, then only a code is accepted; code misses up to maxCodeGuesses, then the
   * code is void). Either way the outcome is committed with its audit event.
   */
  async checkIdentity(
    room: LiveRoom,
    peerId: string,
    methodFor: (row: repo.AttendanceRow, db: Db) => Promise<IdentityMethod>,
    matches: (row: repo.AttendanceRow, db: Db) => Promise<boolean> | boolean,
  ): Promise<IdentityOutcome> {
    return this.db.transaction(async (tx) => {
      const row = await state.lockAttendance(tx, peerId);
      if (!row) throw notFound('attendance');
      const method = await methodFor(row, tx);
      const base = { sessionId: row.sessionId, attendanceId: row.id, method };
      const audit = (event: ReturnType<typeof auditEvent>) => appendAuditEvent(tx, { ...event, caseId: room.caseId, actor: actorOf(row) });
      // The row is locked: its update and event go in one statement.
      const updateAudited = (values: Partial<repo.AttendanceRow>, event: ReturnType<typeof auditEvent>) =>
        changeAudited(tx, repo.updateAttendanceQuery(tx, row.id, values), { ...event, caseId: room.caseId, actor: actorOf(row) });
      const codeSpent = method === 'one_time_code' && row.oneTimeCodeFailures >= maxCodeGuesses;
      // Decided on the locked row, not on the one the method was chosen from: guesses sent in
      // parallel, or one in flight when the host issued a code, find the ID route closed here.
      if (method === 'id_last4' && row.identityFailures >= maxIdentityFailures) return { ok: false, method, failures: row.identityFailures, codeVoid: false };
      if (!codeSpent && (await matches(row, tx))) {
        await updateAudited({ identityMethod: method, identityVerifiedAt: this.now(), oneTimeCodeHash: null }, auditEvent('attendance.identity_confirmed', base));
        return { ok: true, method };
      }
      if (method === 'one_time_code') {
        const failures = Math.min(maxCodeGuesses, row.oneTimeCodeFailures + 1);
        const codeVoid = failures >= maxCodeGuesses;
        await repo.updateAttendance(tx, row.id, { oneTimeCodeFailures: failures, ...(codeVoid ? { oneTimeCodeHash: null, oneTimeCodeExpiresAt: null } : {}) });
        if (!codeSpent) await audit(auditEvent('attendance.identity_failed', { ...base, failures, codeVoid }));
        return { ok: false, method, failures, codeVoid };
      }
      const failures = Math.min(maxIdentityFailures, row.identityFailures + 1);
      await updateAudited({ identityFailures: failures }, auditEvent('attendance.identity_failed', { ...base, failures }));
      return { ok: false, method, failures, codeVoid: false };
    });
  }

  /** A host decision about someone still present in this session (not refused, removed or left). */
  async #updatePresent(tx: Db, room: LiveRoom, target: RoomPeer, values: Partial<repo.AttendanceRow>) {
    const [row] = await repo.updatePresent(tx, target.peerId, room.sessionId, values);
    if (!row) throw conflict(`${target.displayName} is not in this session`);
    return row;
  }

  #audit<T extends RoomDecisionType>(tx: Db, room: LiveRoom, host: RoomPeer, type: T, data: Omit<AuditDataOf<T>, 'sessionId'>) {
    const event = auditEvent(type, { sessionId: room.sessionId, ...data } as AuditDataOf<T>);
    return appendAuditEvent(tx, { ...event, caseId: room.caseId, actor: actorOf(host) });
  }
}
