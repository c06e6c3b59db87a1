import { videoMinimumKbps } from '../../../shared/domain/attendance.ts';
import type { ClientAck, ClientRequest, EnterResult } from '../../../shared/realtime.ts';
import type { Db } from '../../db/client.ts';
import { AppError, conflict, forbidden, notFound } from '../../errors.ts';
import { constantTimeEqual, hashToken, newToken } from '../../security/tokens.ts';
import { findPartyOfActiveParticipant, findSessionWithActiveParticipant } from '../sessions/sessions.repository.ts';
import { moveSession } from '../sessions/sessions.service.ts';
import { loadSession } from '../../access/case-loading.ts';
import { assertMayEnterRooms, hostsSession } from '../../access/roles.ts';
import * as repo from './attendance.repository.ts';
import type { MediaSignalling } from './media-signalling.ts';
import type { LiveRoom } from './live-room.ts';
import type { RoomContext } from './room-context.ts';
import { actorOf, maxCodeGuesses, maxIdentityFailures, oneTimeCodeHash } from './room-record.ts';
import type { Connection, SocketIdentity } from './room-types.ts';

/**
 * Getting into a room: who the connection is (invitation, staff login or resume token), the
 * device check, identity (last four of the ID number, or the mediator's one-time code; guesses
 * counted in the database and capped), and the lobby.
 */
export class RoomEntry {
  private readonly ctx: RoomContext;
  private readonly media: MediaSignalling;

  constructor(
    ctx: RoomContext,
    media: MediaSignalling,
  ) {
    this.ctx = ctx;
    this.media = media;
  }

  async enter(conn: Connection, request: ClientRequest<'session:enter'>): Promise<EnterResult> {
    if (conn.peerId) throw conflict('already entered on this connection');
    const { db } = this.ctx.deps;
    let resumed = false;
    let attendance: repo.AttendanceRow | undefined;
    const resumeToken = request.resumeToken ?? conn.resumeToken;
    if (resumeToken) {
      attendance = await repo.findByResumeHash(db, hashToken(resumeToken));
      if (attendance && !sameIdentity(conn.identity, attendance)) attendance = undefined;
      resumed = attendance !== undefined;
    }
    // A fresh resume token whenever identity is proven another way: a new attendance is stored with it.
    const fresh = resumed ? undefined : newToken();
    let partyId: string | null | undefined;
    if (!attendance) ({ attendance, partyId } = await this.#attendanceFor(conn.identity, request.sessionId, hashToken(fresh!)));
    if (attendance.state === 'refused' || attendance.state === 'removed') throw forbidden('you may no longer join this session');
    // A resume token outlives no revocation: the participant must still be on the case and hold
    // a link to this session that was not revoked.
    if (resumed && attendance.participantId && !(await repo.hasUnrevokedInvitation(db, attendance.sessionId, attendance.participantId))) {
      throw new AppError('INVITATION_REVOKED', 'this invitation is no longer valid');
    }

    const room = await this.ctx.registry.open(attendance.sessionId);
    // From here this entry holds the place: a grace period running for it (the room was just
    // rebuilt, by this very entry too, or an earlier connection dropped) must not end it while
    // the entry awaits the database (on a loaded server that can outlast a short grace period).
    const held = room.peers.get(attendance.id);
    if (held) held.entering++;
    try {
      return await this.#take(conn, room, attendance, fresh ?? resumeToken!, partyId);
    } finally {
      if (held) held.entering--;
    }
  }

  /**
   * The entry's second half: the place in the room is taken by this connection, which holds
   * `token` as its resume token (the one it resumed with, or a fresh one). `partyId`: the
   * participant's party when just read (null: none), undefined when not known.
   */
  async #take(conn: Connection, room: LiveRoom, found: repo.AttendanceRow, token: string, partyId: string | null | undefined): Promise<EnterResult> {
    const { db, now, notifier } = this.ctx.deps;
    let attendance = found;
    if (room.status === 'ended' || room.status === 'cancelled') throw conflict(`this session has ${room.status === 'ended' ? 'ended' : 'been cancelled'}`);

    // A new attendance was stored with the token already; an existing one (entering again) takes it now.
    const tokenHash = hashToken(token);
    if (attendance.resumeTokenHash !== tokenHash) attendance = await repo.updateAttendance(db, attendance.id, { resumeTokenHash: tokenHash });
    // The host enters straight into the room; a returning host after leaving does too.
    if (attendance.isHost && attendance.state !== 'admitted') {
      attendance = await this.ctx.record.move(attendance, 'admitted', { admittedAt: now() }, 'attendance.admitted', room.caseId);
    }
    if (attendance.isHost && room.status === 'scheduled') {
      const host = attendance;
      room.status = (await db.transaction((tx) => moveSession(tx, room.sessionId, 'lobby', actorOf(host)))).status;
    }

    const peer = room.peerFromRow(attendance);
    if (peer.socketId && peer.socketId !== conn.socketId) {
      // Another tab or device of the same person: the old one is told, then let go.
      const reason = 'this session was opened in another window or device';
      notifier.emit(peer.socketId, 'session:replaced', { reason });
      notifier.disconnect(peer.socketId, reason);
    }
    if (peer.graceTimer) clearTimeout(peer.graceTimer);
    peer.graceTimer = null;
    peer.socketId = conn.socketId;
    peer.viaInvitationId = conn.identity.kind === 'participant' ? conn.identity.invitationId : null;
    conn.sessionId = room.sessionId;
    conn.peerId = peer.peerId;
    // Whatever this socket was sent before, it gets the current view (before this ack, see beforeAck).
    this.ctx.views.forgetSocket(conn.socketId);
    // Someone not (yet) admitted is seen only by the hosts and themselves.
    if (peer.state === 'admitted') this.ctx.views.broadcast(room);
    else this.ctx.views.toHosts(room, peer);

    return {
      peerId: peer.peerId,
      resumeToken: token,
      self: { displayName: peer.displayName, role: peer.role, isHost: peer.isHost },
      state: peer.state,
      session: { id: room.sessionId, caseId: room.caseId, title: room.title, status: room.status, caseNumber: room.caseNumber },
      identityMethod: peer.identityVerified ? null : await this.#identityMethodFor(db, attendance, room.caseId, partyId),
      deviceCheckDone: peer.networkTest !== null,
      mediaActive: room.media?.hasPeer(peer.peerId) ?? false,
      routerRtpCapabilities: await this.media.routerCapabilities(room),
    };
  }

  async reportDeviceCheck(conn: Connection, request: ClientRequest<'device-check:report'>) {
    const { room, peer } = this.ctx.registry.peerOf(conn);
    const networkTest = { ...request, at: this.ctx.deps.now().toISOString() };
    await repo.saveNetworkTest(this.ctx.deps.db, peer.peerId, networkTest);
    peer.networkTest = networkTest;
    this.ctx.views.toHosts(room);
    return { audioOnlySuggested: !request.hasCamera || request.downKbps < videoMinimumKbps.down || request.upKbps < videoMinimumKbps.up };
  }

  async confirmIdentity(conn: Connection, request: ClientRequest<'identity:confirm'>): Promise<ClientAck<'identity:confirm'>> {
    const { room, peer } = this.ctx.registry.peerOf(conn);
    if (peer.identityVerified) return { verified: true };
    // A right code in one statement; anything else (a miss to count, the ID number) in the locked check.
    if (request.method === 'one_time_code' && (await this.ctx.record.confirmByCode(room, peer, oneTimeCodeHash(peer.peerId, request.code)))) {
      peer.identityVerified = true;
      this.ctx.views.toHosts(room, peer);
      return { verified: true };
    }
    // The method is decided on the attendance as locked for the check (no read before it): a
    // request naming another one is refused there, and the transaction changes nothing.
    const outcome = await this.ctx.record.checkIdentity(
      room,
      peer.peerId,
      async (locked, tx) => {
        const method = await this.#identityMethodFor(tx, locked, room.caseId);
        if (request.method !== method) throw new AppError('IDENTITY_REJECTED', `confirm with ${method}`, 'method');
        return method;
      },
      (locked, tx) => (request.method === 'id_last4' ? this.#matchesIdNumber(tx, locked, room.caseId, request) : this.#matchesCode(locked, request)),
    );
    if (!outcome.ok) {
      if (outcome.method === 'one_time_code') {
        throw new AppError(
          'IDENTITY_REJECTED',
          outcome.codeVoid ? 'too many wrong codes: this code no longer works; ask the mediator for a new one_time_code' : `wrong or expired code (${maxCodeGuesses - outcome.failures} attempts left)`,
        );
      }
      const left = maxIdentityFailures - outcome.failures;
      throw new AppError('IDENTITY_REJECTED', left > 0 ? `does not match our record (${left} attempts left)` : 'too many attempts: ask the mediator for a one-time code');
    }
    peer.identityVerified = true;
    this.ctx.views.toHosts(room, peer);
    return { verified: true };
  }

  async waitInLobby(conn: Connection) {
    const { room, peer } = this.ctx.registry.peerOf(conn);
    if (peer.state === 'lobby' || peer.state === 'admitted') return { state: peer.state };
    if (!peer.identityVerified) throw new AppError('IDENTITY_REJECTED', 'confirm your identity first');
    if (!peer.networkTest) throw conflict('finish the device check first');
    if (room.locked) throw new AppError('ROOM_LOCKED', 'the mediator has locked this session; please wait and try again');
    const row = await this.ctx.record.moveFromCurrent(room, peer, 'lobby', {}, 'attendance.lobby_entered');
    room.peerFromRow(row);
    this.ctx.views.toHosts(room, peer);
    return { state: row.state };
  }

  /** The attendance to enter with (created, with `resumeTokenHash`, on a first entry), and the participant's party when read. */
  async #attendanceFor(identity: SocketIdentity, sessionId: string | undefined, resumeTokenHash: string): Promise<{ attendance: repo.AttendanceRow; partyId?: string | null }> {
    const { db, now } = this.ctx.deps;
    if (identity.kind === 'resume') throw new AppError('UNAUTHENTICATED', 'your place in this session has expired; open your invitation link again');
    if (identity.kind === 'participant') {
      if (sessionId && sessionId !== identity.sessionId) throw notFound('session');
      const found = await findSessionWithActiveParticipant(db, identity.sessionId, identity.participantId);
      if (!found) throw new AppError('INVITATION_REVOKED', 'this invitation is no longer valid');
      const { session, participant } = found;
      const attendance = await repo.insertAttendance(db, {
        sessionId: session.id,
        participantId: participant.id,
        displayName: participant.displayName,
        role: participant.role,
        // The consulting lawyer hosts their private consultation room, never a mediation.
        isHost: participant.role === 'mediator' || (participant.role === 'consulting_lawyer' && session.kind === 'consultation'),
        languagePair: participant.languagePair,
        resumeTokenHash,
      });
      return { attendance, partyId: participant.partyId };
    }
    if (!sessionId) throw new AppError('VALIDATION_FAILED', 'sessionId: required for staff', 'sessionId');
    const p = identity.principal;
    const access = await loadSession(db, p, sessionId, 'read');
    assertMayEnterRooms(p);
    // A center the case was handed on from reads the file; the live room is the new holder's.
    if (access.access === 'former') throw forbidden('the case is now held by another mediation center');
    if (access.session.kind === 'consultation') throw forbidden('a legal consultation is private to the lawyer and the party');
    const isHost = hostsSession(p, access);
    if (p.role === 'mediator' && access.session.kind === 'mediation' && !isHost) throw forbidden('only the case’s assigned mediators host its sessions');
    const attendance = await repo.insertAttendance(db, {
      sessionId,
      staffUserId: p.staffUserId,
      displayName: p.displayName,
      role: p.role,
      isHost,
      identityMethod: 'staff_login',
      identityVerifiedAt: now(),
      resumeTokenHash,
    });
    return { attendance };
  }

  /** The party a participant's attendance speaks for (none for staff or a party-less role). */
  async #partyOf(db: Db, row: repo.AttendanceRow, caseId: string) {
    if (!row.participantId) return undefined;
    return findPartyOfActiveParticipant(db, caseId, row.participantId);
  }

  /** `partyId`: the participant's party when it was just read (null: none); then no query is needed to know there is none. */
  async #identityMethodFor(db: Db, row: repo.AttendanceRow, caseId: string, partyId?: string | null): Promise<'id_last4' | 'one_time_code'> {
    if (row.identityFailures >= maxIdentityFailures || partyId === null) return 'one_time_code';
    const party = await this.#partyOf(db, row, caseId);
    return party?.idNumberCiphertext ? 'id_last4' : 'one_time_code';
  }

  async #matchesIdNumber(db: Db, row: repo.AttendanceRow, caseId: string, request: ClientRequest<'identity:confirm'>) {
    if (request.method !== 'id_last4') return false;
    const party = await this.#partyOf(db, row, caseId);
    if (!party?.idNumberCiphertext) return false;
    const idNumber = this.ctx.deps.cipher.decrypt(party.idNumberCiphertext);
    const normalise = (s: string) => s.replace(/\s+/g, '');
    return constantTimeEqual(idNumber.slice(-4).toUpperCase(), request.last4.toUpperCase()) && normalise(party.name) === normalise(request.name);
  }

  #matchesCode(row: repo.AttendanceRow, request: ClientRequest<'identity:confirm'>) {
    if (request.method !== 'one_time_code' || !row.oneTimeCodeHash || !row.oneTimeCodeExpiresAt) return false;
    if (row.oneTimeCodeExpiresAt <= this.ctx.deps.now()) return false;
    return constantTimeEqual(row.oneTimeCodeHash, oneTimeCodeHash(row.id, request.code));
  }
}

function sameIdentity(identity: SocketIdentity, row: repo.AttendanceRow) {
  if (identity.kind === 'resume') return true;
  if (identity.kind === 'staff') return row.staffUserId === identity.principal.staffUserId;
  return row.participantId === identity.participantId;
}
