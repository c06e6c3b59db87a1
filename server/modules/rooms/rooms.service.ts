import { randomInt } from 'node:crypto';
import type { types } from 'mediasoup';
import { attendanceMachine, type AttendanceState, reconnectGraceMs, videoMinimumKbps } from '../../../shared/domain/attendance';
import type { AuditActor, AuditEventType } from '../../../shared/domain/audit';
import type { SessionStatus } from '../../../shared/domain/sessions';
import type { AccessWithdrawnCause, ClientAck, ClientRequest, EnterResult, ServerEventName, ServerPayload } from '../../../shared/realtime';
import type { Db } from '../../db/client';
import { AppError, conflict, forbidden, notFound } from '../../errors';
import { MediaRequestError, MediaRoom } from '../../media/media-room';
import type { WorkerPool } from '../../media/worker-pool';
import type { IdNumberCipher } from '../../security/id-number-cipher';
import { constantTimeEqual, hashToken, newToken } from '../../security/tokens';
import { appendAuditEvent } from '../audit/audit.repository';
import type { Principal } from '../auth/principal';
import { findParty } from '../cases/cases.repository';
import { findActiveParticipant, findSession } from '../sessions/sessions.repository';
import type { AccessWithdrawal } from '../sessions/access-effects';
import { loadSession, moveSession } from '../sessions/sessions.service';
import * as repo from './attendance.repository';
import { jointSpace, LiveRoom, type RoomPeer } from './live-room';
import type { TurnCredentials } from '../../security/turn-credentials';

/** Who a socket is, as established at the handshake. */
export type SocketIdentity =
  | { kind: 'staff'; principal: Principal }
  | { kind: 'participant'; participantId: string; sessionId: string; invitationId: string }
  | { kind: 'resume' };

/** Per-socket state kept by the transport layer and handed to every call. */
export interface Connection {
  socketId: string;
  identity: SocketIdentity;
  /** Resume token from the handshake, if any. */
  resumeToken?: string | undefined;
  sessionId?: string;
  peerId?: string;
}

/** How the service reaches sockets; implemented by the socket.io plugin. */
export interface RoomNotifier {
  emit<E extends ServerEventName>(socketId: string, event: E, payload: ServerPayload<E>): void;
  disconnect(socketId: string, reason: string): void;
}

export interface EvidenceLookup {
  find(caseId: string, evidenceId: string): Promise<{ fileName: string; contentType: string } | undefined>;
  url(evidenceId: string, page: number): string;
}

export interface RoomsDeps {
  db: Db;
  cipher: IdNumberCipher;
  now: () => Date;
  pool: WorkerPool | null;
  notifier: RoomNotifier;
  evidence: EvidenceLookup | null;
  /** For tests: a shorter grace period than the five minutes people get. */
  graceMs?: number;
  /** TURN credentials given with media:start (admitted peers only); null: no TURN configured. */
  turn?: TurnCredentials | null;
  log: { warn(obj: object, msg?: string): void; error(obj: object, msg?: string): void };
}

const maxIdentityFailures = 5;
const oneTimeCodeMinutes = 15;
/**
 * How often a room's views may go out, in a burst of changes: a flush costs about one view per
 * connected peer, so the bigger the room the more changes one flush gathers — 0.5 ms per
 * connected peer (a room of 6: 3 ms; of 100 or more: 50 ms). A change after a quiet spell goes at
 * the end of the event-loop turn, and whoever made a change gets their own view before the ack
 * in any case (viewBeforeAck).
 */
const viewIntervalPerPeerMs = 0.5;
const maxViewIntervalMs = 50;

const notInRoom = () => new AppError('NOT_ADMITTED', 'enter the session first');

/** Whose `room:state` may have changed since a room's last flush. */
interface PendingViews {
  everyone: boolean;
  hosts: boolean;
  peerIds: Set<string>;
  cancel(): void;
}

/**
 * Live mediation rooms: who may enter, the lobby, the host's controls, caucuses and the
 * mediasoup signalling. Every decision is made here; socket handlers only parse and answer.
 */
export class RoomsService {
  readonly #rooms = new Map<string, LiveRoom>();
  readonly #loading = new Map<string, Promise<LiveRoom>>();
  #closing = false;
  /**
   * Rooms with views to send: a room's changes are gathered and sent together, at the end of the
   * event-loop turn (setImmediate) or, in a burst, no sooner than the room's interval (see
   * viewIntervalPerPeerMs) after its previous flush, instead of every connected peer getting a
   * view per change.
   */
  readonly #pendingViews = new Map<LiveRoom, PendingViews>();
  readonly #lastFlushAt = new WeakMap<LiveRoom, number>();
  /** The last `room:state` sent on each socket, serialised: an unchanged view is not sent again. */
  readonly #sentViews = new Map<string, string>();

  constructor(private readonly deps: RoomsDeps) {}

  get graceMs() {
    return this.deps.graceMs ?? reconnectGraceMs;
  }

  /** For tests and diagnostics. */
  roomOf(sessionId: string): LiveRoom | undefined {
    return this.#rooms.get(sessionId);
  }

  // ---- entering ---------------------------------------------------------------------------

  async enter(conn: Connection, request: ClientRequest<'session:enter'>): Promise<EnterResult> {
    if (conn.peerId) throw conflict('already entered on this connection');
    const { db } = this.deps;
    let resumed = false;
    let attendance: repo.AttendanceRow | undefined;
    const resumeToken = request.resumeToken ?? conn.resumeToken;
    if (resumeToken) {
      attendance = await repo.findByResumeHash(db, hashToken(resumeToken));
      if (attendance && !this.#sameIdentity(conn.identity, attendance)) attendance = undefined;
      resumed = attendance !== undefined;
    }
    if (!attendance) attendance = await this.#attendanceFor(conn.identity, request.sessionId);
    if (attendance.state === 'refused' || attendance.state === 'removed') throw forbidden('you may no longer join this session');
    // A resume token outlives no revocation: the participant must still be on the case and hold
    // a link to this session that was not revoked.
    if (resumed && attendance.participantId && !(await repo.hasUnrevokedInvitation(db, attendance.sessionId, attendance.participantId))) {
      throw new AppError('INVITATION_REVOKED', 'this invitation is no longer valid');
    }

    const room = await this.#room(attendance.sessionId);
    if (room.status === 'ended' || room.status === 'cancelled') throw conflict(`this session has ${room.status === 'ended' ? 'ended' : 'been cancelled'}`);

    // A fresh token whenever identity was proven another way; the same one when it was used.
    let token = resumeToken!;
    if (!resumed) {
      token = newToken();
      attendance = await repo.updateAttendance(db, attendance.id, { resumeTokenHash: hashToken(token) });
    }
    // The host enters straight into the room; a returning host after leaving does too.
    if (attendance.isHost && attendance.state !== 'admitted') {
      attendance = await this.#move(attendance, 'admitted', { admittedAt: this.deps.now() }, 'attendance.admitted');
    }
    if (attendance.isHost && room.status === 'scheduled') {
      room.status = (await db.transaction((tx) => moveSession(tx, room.sessionId, 'lobby', this.#actor(attendance!)))).status;
    }

    const peer = room.peerFromRow(attendance);
    if (peer.socketId && peer.socketId !== conn.socketId) {
      // Another tab or device of the same person: the old one is told, then let go.
      const reason = 'this session was opened in another window or device';
      this.deps.notifier.emit(peer.socketId, 'session:replaced', { reason });
      this.deps.notifier.disconnect(peer.socketId, reason);
    }
    if (peer.graceTimer) clearTimeout(peer.graceTimer);
    peer.graceTimer = null;
    peer.socketId = conn.socketId;
    peer.viaInvitationId = conn.identity.kind === 'participant' ? conn.identity.invitationId : null;
    conn.sessionId = room.sessionId;
    conn.peerId = peer.peerId;
    // Whatever this socket was sent before, it gets the current view (before this ack, see viewBeforeAck).
    this.#sentViews.delete(conn.socketId);
    // Someone not (yet) admitted is seen only by the hosts and themselves.
    if (peer.state === 'admitted') this.#broadcast(room);
    else this.#broadcastToHosts(room, peer);

    return {
      peerId: peer.peerId,
      resumeToken: token,
      self: { displayName: peer.displayName, role: peer.role, isHost: peer.isHost },
      state: peer.state,
      session: { id: room.sessionId, caseId: room.caseId, title: room.title, status: room.status, caseNumber: room.caseNumber },
      identityMethod: peer.identityVerified ? null : await this.#identityMethodFor(attendance),
      deviceCheckDone: peer.networkTest !== null,
      mediaActive: room.media?.hasPeer(peer.peerId) ?? false,
      routerRtpCapabilities: await this.#routerCapabilities(room),
    };
  }

  /** The room's codecs for the device, or null without media (a worker problem must not stop entering). */
  async #routerCapabilities(room: LiveRoom): Promise<Record<string, unknown> | null> {
    if (!this.deps.pool) return null;
    try {
      return (await this.#mediaOf(room)).rtpCapabilities as unknown as Record<string, unknown>;
    } catch (err) {
      this.deps.log.warn({ err, sessionId: room.sessionId }, 'no media router for this room');
      return null;
    }
  }

  #sameIdentity(identity: SocketIdentity, row: repo.AttendanceRow) {
    if (identity.kind === 'resume') return true;
    if (identity.kind === 'staff') return row.staffUserId === identity.principal.staffUserId;
    return row.participantId === identity.participantId;
  }

  async #attendanceFor(identity: SocketIdentity, sessionId: string | undefined): Promise<repo.AttendanceRow> {
    const { db } = this.deps;
    if (identity.kind === 'resume') throw new AppError('UNAUTHENTICATED', 'your place in this session has expired; open your invitation link again');
    if (identity.kind === 'participant') {
      if (sessionId && sessionId !== identity.sessionId) throw notFound('session');
      const session = await findSession(db, identity.sessionId);
      const participant = session && (await findActiveParticipant(db, session.caseId, identity.participantId));
      if (!session || !participant) throw new AppError('INVITATION_REVOKED', 'this invitation is no longer valid');
      return repo.insertAttendance(db, {
        sessionId: session.id,
        participantId: participant.id,
        displayName: participant.displayName,
        role: participant.role,
        isHost: participant.role === 'mediator',
      });
    }
    if (!sessionId) throw new AppError('VALIDATION_FAILED', 'sessionId: required for staff', 'sessionId');
    const p = identity.principal;
    const access = await loadSession(db, p, sessionId, 'read');
    // The mediator hosts a mediation; the court's judge or clerk hosts a confirmation hearing.
    const isHost =
      access.session.kind === 'hearing'
        ? p.role === 'judge' || p.role === 'clerk'
        : p.role === 'mediator' && access.case.centerId === p.organisationId;
    if (p.role !== 'mediator' && p.role !== 'clerk' && p.role !== 'judge') throw forbidden();
    return repo.insertAttendance(db, {
      sessionId,
      staffUserId: p.staffUserId,
      displayName: p.displayName,
      role: p.role,
      isHost,
      identityMethod: 'staff_login',
      identityVerifiedAt: this.deps.now(),
    });
  }

  async #identityMethodFor(row: repo.AttendanceRow): Promise<'id_last4' | 'one_time_code'> {
    if (row.identityFailures >= maxIdentityFailures || !row.participantId) return 'one_time_code';
    const session = await findSession(this.deps.db, row.sessionId);
    const participant = session && (await findActiveParticipant(this.deps.db, session.caseId, row.participantId));
    const party = participant?.partyId ? await findParty(this.deps.db, session!.caseId, participant.partyId) : undefined;
    return party?.idNumberCiphertext ? 'id_last4' : 'one_time_code';
  }

  async #room(sessionId: string): Promise<LiveRoom> {
    const existing = this.#rooms.get(sessionId);
    if (existing) return existing;
    let loading = this.#loading.get(sessionId);
    if (!loading) {
      loading = this.#loadRoom(sessionId).finally(() => this.#loading.delete(sessionId));
      this.#loading.set(sessionId, loading);
    }
    return loading;
  }

  /** Builds a room from the database: also how a room comes back after a server restart. */
  async #loadRoom(sessionId: string): Promise<LiveRoom> {
    const { db } = this.deps;
    const session = await findSession(db, sessionId);
    if (!session) throw notFound('session');
    const { findCase } = await import('../cases/cases.repository');
    const found = await findCase(db, session.caseId);
    const room = new LiveRoom(session.id, session.caseId, found!.case.number, session.title, session.status);
    for (const row of await repo.listForSession(db, sessionId)) {
      if (row.state !== 'left') room.peerFromRow(row);
    }
    this.#rooms.set(sessionId, room);
    return room;
  }

  // ---- before the room: device check, identity, lobby ------------------------------------

  async reportDeviceCheck(conn: Connection, request: ClientRequest<'device-check:report'>) {
    const { room, peer } = this.#peerOf(conn);
    const networkTest = { ...request, at: this.deps.now().toISOString() };
    await repo.updateAttendance(this.deps.db, peer.peerId, { networkTest });
    peer.networkTest = networkTest;
    this.#broadcastToHosts(room);
    return { audioOnlySuggested: !request.hasCamera || request.downKbps < videoMinimumKbps.down || request.upKbps < videoMinimumKbps.up };
  }

  async confirmIdentity(conn: Connection, request: ClientRequest<'identity:confirm'>): Promise<ClientAck<'identity:confirm'>> {
    const { room, peer } = this.#peerOf(conn);
    if (peer.identityVerified) return { verified: true };
    const row = (await repo.findAttendance(this.deps.db, peer.peerId))!;
    const method = await this.#identityMethodFor(row);
    if (request.method !== method) throw new AppError('IDENTITY_REJECTED', `confirm with ${method}`, 'method');
    const ok = method === 'id_last4' ? await this.#matchesIdNumber(row, request) : this.#matchesCode(row, request);
    if (!ok) {
      const failures = await repo.countIdentityFailure(this.deps.db, peer.peerId);
      const left = maxIdentityFailures - failures;
      throw new AppError(
        'IDENTITY_REJECTED',
        left > 0 ? `does not match our record (${left} attempts left)` : 'too many attempts: ask the mediator for a one-time code',
      );
    }
    await this.deps.db.transaction(async (tx) => {
      await repo.updateAttendance(tx, peer.peerId, { identityMethod: method, identityVerifiedAt: this.deps.now(), oneTimeCodeHash: null });
      await appendAuditEvent(tx, { type: 'attendance.identity_confirmed', caseId: room.caseId, actor: this.#actor(row), data: { sessionId: room.sessionId, attendanceId: row.id, method } });
    });
    peer.identityVerified = true;
    this.#broadcastToHosts(room, peer);
    return { verified: true };
  }

  async #matchesIdNumber(row: repo.AttendanceRow, request: ClientRequest<'identity:confirm'>) {
    if (request.method !== 'id_last4') return false;
    const session = (await findSession(this.deps.db, row.sessionId))!;
    const participant = await findActiveParticipant(this.deps.db, session.caseId, row.participantId!);
    const party = participant?.partyId ? await findParty(this.deps.db, session.caseId, participant.partyId) : undefined;
    if (!party?.idNumberCiphertext) return false;
    const idNumber = this.deps.cipher.decrypt(party.idNumberCiphertext);
    const normalise = (s: string) => s.replace(/\s+/g, '');
    return constantTimeEqual(idNumber.slice(-4).toUpperCase(), request.last4.toUpperCase()) && normalise(party.name) === normalise(request.name);
  }

  #matchesCode(row: repo.AttendanceRow, request: ClientRequest<'identity:confirm'>) {
    if (request.method !== 'one_time_code' || !row.oneTimeCodeHash || !row.oneTimeCodeExpiresAt) return false;
    if (row.oneTimeCodeExpiresAt <= this.deps.now()) return false;
    return constantTimeEqual(row.oneTimeCodeHash, hashToken(`${row.id}:${request.code}`));
  }

  async waitInLobby(conn: Connection) {
    const { room, peer } = this.#peerOf(conn);
    if (peer.state === 'lobby' || peer.state === 'admitted') return { state: peer.state };
    if (!peer.identityVerified) throw new AppError('IDENTITY_REJECTED', 'confirm your identity first');
    if (!peer.networkTest) throw conflict('finish the device check first');
    if (room.locked) throw new AppError('ROOM_LOCKED', 'the mediator has locked this session; please wait and try again');
    const row = await this.#moveFromCurrent(peer, 'lobby', {}, 'attendance.lobby_entered');
    room.peerFromRow(row);
    this.#broadcastToHosts(room, peer);
    return { state: row.state };
  }

  async leave(conn: Connection) {
    const { room, peer } = this.#peerOf(conn);
    await this.#markLeft(room, peer);
    conn.peerId = undefined;
    conn.sessionId = undefined;
    return {};
  }

  /** The socket dropped: the place is kept for the grace period, then counts as left. */
  disconnected(conn: Connection) {
    this.#sentViews.delete(conn.socketId);
    if (this.#closing || !conn.peerId || !conn.sessionId) return;
    const room = this.#rooms.get(conn.sessionId);
    const peer = room?.peers.get(conn.peerId);
    if (!room || !peer || peer.socketId !== conn.socketId) return;
    peer.socketId = null;
    peer.graceTimer = setTimeout(() => {
      peer.graceTimer = null;
      if (peer.socketId === null) void this.#markLeft(room, peer).catch((err: unknown) => this.deps.log.error({ err }, 'could not mark a peer as left'));
    }, this.graceMs);
    peer.graceTimer.unref();
    this.#broadcast(room);
  }

  async #markLeft(room: LiveRoom, peer: RoomPeer) {
    if (attendanceMachine.canTransition(peer.state, 'left')) {
      room.peerFromRow(await this.#moveFromCurrent(peer, 'left', { leftAt: this.deps.now() }, 'attendance.left'));
    }
    room.media?.removePeer(peer.peerId);
    peer.handRaised = false;
    if (peer.socketId === null || peer.state === 'left') room.peers.delete(peer.peerId);
    if (room.spotlightPeerId === peer.peerId) room.spotlightPeerId = null;
    this.#broadcast(room);
  }

  // ---- the host's controls ---------------------------------------------------------------

  async admit(conn: Connection, { peerId }: { peerId: string }) {
    const { room } = this.#hostOf(conn);
    const target = this.#target(room, peerId);
    if (target.state !== 'lobby') throw conflict(`${target.displayName} is not waiting in the lobby`);
    room.peerFromRow(await this.#moveFromCurrent(target, 'admitted', { admittedAt: this.deps.now() }, 'attendance.admitted'));
    this.#tell(target, 'attendance:changed', { state: 'admitted' });
    this.#broadcast(room);
    return {};
  }

  async refuse(conn: Connection, { peerId, reason }: { peerId: string; reason?: string | undefined }) {
    const { room } = this.#hostOf(conn);
    const target = this.#target(room, peerId);
    if (target.state !== 'lobby') throw conflict(`${target.displayName} is not waiting in the lobby`);
    await this.#moveFromCurrent(target, 'refused', { leftAt: this.deps.now() }, 'attendance.refused', { reason: reason ?? null });
    this.#evict(room, target, 'refused', reason ?? 'the mediator did not admit you to this session');
    return {};
  }

  async remove(conn: Connection, { peerId }: { peerId: string }) {
    const { room, peer: host } = this.#hostOf(conn);
    const target = this.#target(room, peerId);
    if (target.peerId === host.peerId) throw conflict('you cannot remove yourself');
    const to: AttendanceState = target.state === 'admitted' ? 'removed' : 'refused';
    if (!attendanceMachine.canTransition(target.state, to)) throw conflict(`${target.displayName} is not in the room`);
    await this.#moveFromCurrent(target, to, { leftAt: this.deps.now() }, to === 'removed' ? 'attendance.removed' : 'attendance.refused');
    this.#evict(room, target, to, 'the mediator removed you from this session');
    return {};
  }

  #evict(room: LiveRoom, target: RoomPeer, state: AttendanceState, reason: string, cause?: AccessWithdrawnCause) {
    room.media?.removePeer(target.peerId);
    if (target.graceTimer) clearTimeout(target.graceTimer);
    target.graceTimer = null;
    room.peers.delete(target.peerId);
    if (room.spotlightPeerId === target.peerId) room.spotlightPeerId = null;
    if (target.socketId) {
      this.#tell(target, 'attendance:changed', { state, reason, ...(cause ? { cause } : {}) });
      this.deps.notifier.disconnect(target.socketId, reason);
    }
    this.#broadcast(room);
  }

  // ---- access withdrawn outside the room (after commit) -------------------------------------

  /**
   * An invitation was revoked or a participant removed from the case: their resume tokens stop
   * working and their connections to the affected sessions end now, with a cause their page
   * explains. Revoking one of two links to the same session lets go only of connections made
   * with the revoked one (or with a resume token alone); the other link still gets in.
   */
  async withdrawAccess(withdrawal: AccessWithdrawal): Promise<void> {
    const { db } = this.deps;
    const reason = withdrawal.cause === 'invitation_revoked' ? 'your invitation has been revoked' : 'you are no longer a participant of this case';
    for (const row of await repo.listForParticipant(db, withdrawal.participantId, withdrawal.sessionId)) {
      await repo.updateAttendance(db, row.id, { resumeTokenHash: null });
      const room = this.#rooms.get(row.sessionId);
      const peer = room?.peers.get(row.id);
      if (withdrawal.invitationId && (await repo.hasUnrevokedInvitation(db, row.sessionId, withdrawal.participantId))) {
        // Another link of theirs still works: only a connection made with the revoked one ends.
        if (room && peer?.socketId && (peer.viaInvitationId === withdrawal.invitationId || peer.viaInvitationId === null)) {
          this.#tell(peer, 'attendance:changed', { state: peer.state, reason, cause: withdrawal.cause });
          this.deps.notifier.disconnect(peer.socketId, reason);
        }
        continue;
      }
      let current: repo.AttendanceRow | undefined = row;
      if (attendanceMachine.canTransition(row.state, 'left')) {
        current = await this.#move(row, 'left', { leftAt: this.deps.now() }, 'attendance.left', { cause: withdrawal.cause }).catch(async (err: unknown) => {
          // Moved meanwhile (admitted, left): once more from where it is now.
          const fresh = await repo.findAttendance(db, row.id);
          if (fresh && attendanceMachine.canTransition(fresh.state, 'left')) return this.#move(fresh, 'left', { leftAt: this.deps.now() }, 'attendance.left', { cause: withdrawal.cause });
          if (fresh) return fresh;
          throw err;
        });
      }
      if (room && peer) this.#evict(room, peer, current?.state ?? 'left', reason, withdrawal.cause);
    }
  }

  lock(conn: Connection, { locked }: { locked: boolean }) {
    const { room } = this.#hostOf(conn);
    room.locked = locked;
    this.#broadcast(room);
    return {};
  }

  async mute(conn: Connection, { peerId, kind, muted }: ClientRequest<'host:mute'>) {
    const { room } = this.#hostOf(conn);
    const target = this.#target(room, peerId);
    target.hostMuted = { ...target.hostMuted, [kind]: muted };
    if (room.media?.hasPeer(peerId)) await room.media.setHostMuted(peerId, kind, muted);
    this.#tell(target, 'media:host-muted', { kind, muted });
    this.#broadcast(room);
    return {};
  }

  spotlight(conn: Connection, { peerId }: { peerId: string | null }) {
    const { room } = this.#hostOf(conn);
    if (peerId !== null && this.#target(room, peerId).state !== 'admitted') throw conflict('only someone in the room can be spotlit');
    room.spotlightPeerId = peerId;
    this.#broadcast(room);
    return {};
  }

  async allowScreen(conn: Connection, { peerId, allowed }: { peerId: string; allowed: boolean }) {
    const { room } = this.#hostOf(conn);
    const target = this.#target(room, peerId);
    await repo.updateAttendance(this.deps.db, peerId, { canShareScreen: allowed });
    target.canShareScreen = target.isHost || allowed;
    // Permission taken back while sharing: the share stops for everyone at once, on the server.
    if (!target.canShareScreen && room.media?.hasPeer(peerId)) room.media.closeSource(peerId, 'screen');
    this.#broadcast(room);
    return {};
  }

  /** A six-digit code the mediator reads out to someone who cannot confirm with an ID number. */
  async issueCode(conn: Connection, { peerId }: { peerId: string }) {
    const { room } = this.#hostOf(conn);
    const target = this.#target(room, peerId);
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    await repo.updateAttendance(this.deps.db, target.peerId, {
      oneTimeCodeHash: hashToken(`${target.peerId}:${code}`),
      oneTimeCodeExpiresAt: new Date(this.deps.now().getTime() + oneTimeCodeMinutes * 60_000),
      identityFailures: maxIdentityFailures, // from now on only the code is accepted
    });
    return { code };
  }

  async changeSession(conn: Connection, { to }: { to: 'live' | 'paused' | 'ended' }) {
    const { room, peer } = this.#hostOf(conn);
    const row = await this.deps.db.transaction((tx) => moveSession(tx, room.sessionId, to, this.#actorOfPeer(peer)));
    room.status = row.status;
    if (row.status === 'ended') await this.#endRoom(room, 'the mediator ended the session');
    else this.#broadcast(room);
    return { status: row.status as SessionStatus };
  }

  async #endRoom(room: LiveRoom, reason: string) {
    // No room:state after session:ended (views still pending for it are dropped).
    room.ended = true;
    this.#pendingViews.get(room)?.cancel();
    this.#pendingViews.delete(room);
    for (const peer of [...room.peers.values()]) {
      if (peer.graceTimer) clearTimeout(peer.graceTimer);
      if (attendanceMachine.canTransition(peer.state, 'left')) await this.#moveFromCurrent(peer, 'left', { leftAt: this.deps.now() }, 'attendance.left');
      if (peer.socketId) {
        this.#tell(peer, 'session:ended', { reason });
        this.deps.notifier.disconnect(peer.socketId, reason);
      }
    }
    room.media?.close();
    this.#rooms.delete(room.sessionId);
  }

  openCaucus(conn: Connection, { name }: { name: string }) {
    const { room } = this.#hostOf(conn);
    const id = `caucus-${newToken().slice(0, 8)}`;
    room.caucuses.set(id, name);
    this.#broadcast(room);
    return { id, name };
  }

  async closeCaucus(conn: Connection, { caucusId }: { caucusId: string }) {
    const { room } = this.#hostOf(conn);
    if (!room.caucuses.has(caucusId)) throw notFound('caucus');
    for (const peer of room.peers.values()) if (peer.space === caucusId) await this.#moveTo(room, peer, jointSpace);
    room.caucuses.delete(caucusId);
    this.#broadcast(room);
    return {};
  }

  /** Moves anyone (the host too, to visit) between the joint room and caucuses. */
  async move(conn: Connection, { peerId, space }: { peerId: string; space: string }) {
    const { room } = this.#hostOf(conn);
    if (space !== jointSpace && !room.caucuses.has(space)) throw notFound('caucus');
    const target = this.#target(room, peerId);
    if (target.state !== 'admitted') throw conflict(`${target.displayName} is not in the room`);
    await this.#moveTo(room, target, space);
    this.#broadcast(room);
    return {};
  }

  async #moveTo(room: LiveRoom, peer: RoomPeer, space: string) {
    peer.space = space;
    await repo.updateAttendance(this.deps.db, peer.peerId, { space });
    if (room.media?.hasPeer(peer.peerId)) await room.media.movePeer(peer.peerId, space);
  }

  async showEvidence(conn: Connection, { evidenceId, page }: { evidenceId: string; page: number }) {
    const { room } = this.#hostOf(conn);
    const found = this.deps.evidence ? await this.deps.evidence.find(room.caseId, evidenceId) : undefined;
    if (!found) throw notFound('evidence');
    room.evidence = { evidenceId, fileName: found.fileName, contentType: found.contentType, page, url: this.deps.evidence!.url(evidenceId, page) };
    this.#broadcast(room);
    return {};
  }

  hideEvidence(conn: Connection) {
    const { room } = this.#hostOf(conn);
    room.evidence = null;
    this.#broadcast(room);
    return {};
  }

  // ---- everyone in the room --------------------------------------------------------------

  raiseHand(conn: Connection, { raised }: { raised: boolean }) {
    const { room, peer } = this.#admittedOf(conn);
    peer.handRaised = raised;
    this.#broadcast(room);
    return {};
  }

  async sendChat(conn: Connection, { text }: { text: string }) {
    const { room, peer } = this.#admittedOf(conn);
    const row = await repo.insertChatMessage(this.deps.db, { sessionId: room.sessionId, caseId: room.caseId, attendanceId: peer.peerId, space: peer.space, text });
    const message = { id: row.id, space: row.space, peerId: peer.peerId, displayName: peer.displayName, text: row.text, sentAt: row.sentAt.toISOString() };
    for (const other of room.admittedIn(peer.space)) if (other.socketId) this.#tell(other, 'chat:message', message);
    return message;
  }

  async chatHistory(conn: Connection) {
    const { room, peer } = this.#admittedOf(conn);
    const rows = await repo.listChat(this.deps.db, room.sessionId);
    return {
      messages: rows
        .filter((r) => r.message.space === peer.space)
        .map((r) => ({ id: r.message.id, space: r.message.space, peerId: r.message.attendanceId, displayName: r.displayName, text: r.message.text, sentAt: r.message.sentAt.toISOString() })),
    };
  }

  reportStats(conn: Connection, request: ClientRequest<'stats:report'>) {
    const { room, peer } = this.#admittedOf(conn);
    peer.linkQuality = { rttMs: request.rttMs, lossPct: request.lossPct, sendKbps: request.sendKbps, recvKbps: request.recvKbps, at: this.deps.now().toISOString() };
    this.#broadcastToHosts(room);
    return {};
  }

  // ---- media signalling ------------------------------------------------------------------

  async startMedia(conn: Connection, { rtpCapabilities }: ClientRequest<'media:start'>) {
    const { room, peer } = this.#admittedOf(conn);
    // No worker (none came back after a death): a MEDIA_ERROR ack the client retries on.
    const media = await this.#media(() => this.#mediaOf(room));
    media.addPeer(peer.peerId, peer.space);
    if (peer.hostMuted.audio) await media.setHostMuted(peer.peerId, 'audio', true);
    if (peer.hostMuted.video) await media.setHostMuted(peer.peerId, 'video', true);
    if (peer.audioOnly) await media.setAudioOnly(peer.peerId, true);
    const { send, recv } = await this.#media(() => media.startPeer(peer.peerId));
    // The consumers go out before this ack: the client keeps them until its transports exist.
    if (rtpCapabilities) await this.#media(() => media.setRtpCapabilities(peer.peerId, rtpCapabilities as unknown as types.RtpCapabilities));
    const iceServers = this.deps.turn?.iceServersFor(peer.peerId) ?? [];
    return { routerRtpCapabilities: media.rtpCapabilities as unknown as Record<string, unknown>, send: asRecord(send), recv: asRecord(recv), iceServers };
  }

  mediaReady(conn: Connection, { rtpCapabilities }: ClientRequest<'media:ready'>) {
    return this.#withMedia(conn, async (media, peer) => {
      await media.setRtpCapabilities(peer.peerId, rtpCapabilities as unknown as types.RtpCapabilities);
      return {};
    });
  }

  async #mediaOf(room: LiveRoom): Promise<MediaRoom> {
    if (room.media && !room.media.closed) return room.media;
    if (!this.deps.pool) throw new AppError('MEDIA_ERROR', 'media is disabled on this server');
    room.mediaStarting ??= MediaRoom.create(this.deps.pool, this.#mediaListener(room)).finally(() => {
      room.mediaStarting = null;
    });
    room.media = await room.mediaStarting;
    return room.media;
  }

  #mediaListener(room: LiveRoom) {
    const peerOf = (peerId: string) => room.peers.get(peerId);
    return {
      consumerCreated: (peerId: string, consumer: Parameters<RoomNotifierListener['consumerCreated']>[1]) => {
        const peer = peerOf(peerId);
        if (peer) this.#tell(peer, 'media:consumer-new', { ...consumer, rtpParameters: consumer.rtpParameters as unknown as Record<string, unknown> });
      },
      consumerClosed: (peerId: string, consumerId: string) => {
        const peer = peerOf(peerId);
        if (peer) this.#tell(peer, 'media:consumer-closed', { consumerId });
      },
      consumerPaused: (peerId: string, consumerId: string, paused: boolean) => {
        const peer = peerOf(peerId);
        if (peer) this.#tell(peer, 'media:consumer-paused', { consumerId, paused });
      },
      consumeFailed: (peerId: string, producerId: string, err: unknown) => this.deps.log.warn({ err, peerId, producerId }, 'could not create a consumer'),
      activeSpeaker: (peerId: string | null) => {
        room.activeSpeakerPeerId = peerId;
        this.#broadcast(room);
      },
      closed: (reason: string, cause: 'worker-died' | 'closed') => {
        if (room.media?.closed) room.media = null;
        if (cause !== 'worker-died' || this.#closing || this.#rooms.get(room.sessionId) !== room) return;
        void this.#rebuildMedia(room, reason);
      },
    };
  }

  /**
   * The room's worker died: a new router on a live worker (the replacement, if it was the only
   * one), then everyone admitted is told to make new transports there. Spaces, host mutes and
   * audio-only choices live on the peers, so media:start applies them again.
   */
  async #rebuildMedia(room: LiveRoom, reason: string): Promise<void> {
    try {
      const media = await this.#mediaOf(room);
      this.deps.log.warn({ sessionId: room.sessionId, workerPid: media.workerPid }, 'media room rebuilt after its worker died');
    } catch (err) {
      // Clients still start over; their media:start retries until a worker is back.
      this.deps.log.error({ err, sessionId: room.sessionId }, 'could not rebuild a media room');
    }
    if (this.#closing || this.#rooms.get(room.sessionId) !== room) return;
    for (const peer of room.peers.values()) if (peer.state === 'admitted') this.#tell(peer, 'media:reset', { reason });
  }

  async #withMedia<T>(conn: Connection, act: (media: MediaRoom, peer: RoomPeer) => Promise<T>): Promise<T> {
    const { room, peer } = this.#admittedOf(conn);
    const media = room.media;
    if (!media || media.closed || !media.hasPeer(peer.peerId)) throw new AppError('MEDIA_ERROR', 'media not started: call media:start');
    return this.#media(() => act(media, peer));
  }

  /** mediasoup refusals become MEDIA_ERROR acks rather than crashes. */
  async #media<T>(act: () => Promise<T>): Promise<T> {
    try {
      return await act();
    } catch (error) {
      if (error instanceof AppError) throw error;
      if (error instanceof MediaRequestError) throw new AppError('MEDIA_ERROR', error.message);
      throw new AppError('MEDIA_ERROR', error instanceof Error ? error.message : 'media request failed');
    }
  }

  connectTransport(conn: Connection, { transportId, dtlsParameters }: ClientRequest<'media:connect'>) {
    return this.#withMedia(conn, async (media, peer) => {
      await media.connectTransport(peer.peerId, transportId, dtlsParameters as unknown as types.DtlsParameters);
      return {};
    });
  }

  restartIce(conn: Connection, { transportId }: { transportId: string }) {
    return this.#withMedia(conn, async (media, peer) => ({ iceParameters: asRecord(await media.restartIce(peer.peerId, transportId)) }));
  }

  produce(conn: Connection, request: ClientRequest<'media:produce'>) {
    return this.#withMedia(conn, async (media, peer) => {
      if (request.source === 'screen' && !peer.canShareScreen) throw forbidden('ask the mediator for permission to share your screen');
      const producerId = await media.produce(peer.peerId, request.transportId, request.kind, request.rtpParameters as unknown as types.RtpParameters, request.source);
      return { producerId };
    });
  }

  closeProducer(conn: Connection, { producerId }: { producerId: string }) {
    return this.#withMedia(conn, async (media, peer) => {
      media.closeProducer(peer.peerId, producerId);
      return {};
    });
  }

  pauseProducer(conn: Connection, { producerId, paused }: { producerId: string; paused: boolean }) {
    return this.#withMedia(conn, async (media, peer) => {
      await media.setProducerPaused(peer.peerId, producerId, paused);
      return {};
    });
  }

  resumeConsumer(conn: Connection, { consumerId }: { consumerId: string }) {
    return this.#withMedia(conn, async (media, peer) => {
      await media.resumeConsumer(peer.peerId, consumerId);
      return {};
    });
  }

  pauseConsumer(conn: Connection, { consumerId, paused }: { consumerId: string; paused: boolean }) {
    return this.#withMedia(conn, async (media, peer) => {
      await media.setConsumerPaused(peer.peerId, consumerId, paused);
      return {};
    });
  }

  consumerLayers(conn: Connection, { consumerId, spatialLayer }: { consumerId: string; spatialLayer: number }) {
    return this.#withMedia(conn, async (media, peer) => {
      await media.setConsumerLayer(peer.peerId, consumerId, spatialLayer);
      return {};
    });
  }

  async audioOnly(conn: Connection, { audioOnly }: { audioOnly: boolean }) {
    const { room, peer } = this.#admittedOf(conn);
    peer.audioOnly = audioOnly;
    if (room.media?.hasPeer(peer.peerId)) await this.#media(() => room.media!.setAudioOnly(peer.peerId, audioOnly));
    this.#broadcast(room);
    return {};
  }

  /** Tells everyone admitted to a live room of the case (co-review of agreements). */
  notifyCase<E extends ServerEventName>(caseId: string, event: E, payload: ServerPayload<E>) {
    for (const room of this.#rooms.values()) {
      if (room.caseId !== caseId) continue;
      for (const peer of room.connectedPeers()) if (peer.state === 'admitted') this.#tell(peer, event, payload);
    }
  }

  /** Shutting down: keep every place (clients come back after the restart). */
  shutdown() {
    this.#closing = true;
    for (const pending of this.#pendingViews.values()) pending.cancel();
    this.#pendingViews.clear();
    this.#sentViews.clear();
    for (const room of this.#rooms.values()) {
      for (const peer of room.peers.values()) if (peer.graceTimer) clearTimeout(peer.graceTimer);
      room.media?.close();
    }
    this.#rooms.clear();
  }

  // ---- helpers -----------------------------------------------------------------------------

  #peerOf(conn: Connection): { room: LiveRoom; peer: RoomPeer } {
    const room = conn.sessionId ? this.#rooms.get(conn.sessionId) : undefined;
    const peer = conn.peerId ? room?.peers.get(conn.peerId) : undefined;
    if (!room || !peer || peer.socketId !== conn.socketId) throw notInRoom();
    return { room, peer };
  }

  #admittedOf(conn: Connection) {
    const found = this.#peerOf(conn);
    if (found.peer.state !== 'admitted') throw new AppError('NOT_ADMITTED', 'wait until the mediator admits you');
    return found;
  }

  #hostOf(conn: Connection) {
    const found = this.#admittedOf(conn);
    if (!found.peer.isHost) throw forbidden('only the mediator can do this');
    return found;
  }

  #target(room: LiveRoom, peerId: string): RoomPeer {
    const peer = room.peers.get(peerId);
    if (!peer) throw notFound('participant in this room');
    return peer;
  }

  #actor(row: repo.AttendanceRow): AuditActor {
    return row.staffUserId ? { kind: 'staff', staffUserId: row.staffUserId } : { kind: 'participant', participantId: row.participantId! };
  }

  #actorOfPeer(peer: RoomPeer): AuditActor {
    return peer.staffUserId ? { kind: 'staff', staffUserId: peer.staffUserId } : { kind: 'participant', participantId: peer.participantId! };
  }

  async #move(row: repo.AttendanceRow, to: AttendanceState, values: Partial<repo.AttendanceRow>, type: AuditEventType, data: Record<string, unknown> = {}) {
    if (!attendanceMachine.canTransition(row.state, to)) throw conflict(`cannot go from ${row.state} to ${to}`);
    return this.deps.db.transaction(async (tx) => {
      const moved = await repo.moveAttendance(tx, row.id, row.state, { ...values, state: to });
      if (!moved) throw conflict('changed meanwhile; try again');
      const session = await findSession(tx, row.sessionId);
      await appendAuditEvent(tx, { type, caseId: session?.caseId ?? null, actor: this.#actor(row), data: { sessionId: row.sessionId, attendanceId: row.id, from: row.state, to, ...data } });
      return moved;
    });
  }

  async #moveFromCurrent(peer: RoomPeer, to: AttendanceState, values: Partial<repo.AttendanceRow>, type: AuditEventType, data?: Record<string, unknown>) {
    const row = await repo.findAttendance(this.deps.db, peer.peerId);
    if (!row) throw notFound('attendance');
    return this.#move(row, to, values, type, data);
  }

  #tell<E extends ServerEventName>(peer: RoomPeer, event: E, payload: ServerPayload<E>) {
    if (peer.socketId) this.deps.notifier.emit(peer.socketId, event, payload);
  }

  /** Everyone's view may have changed: sent shortly (see viewIntervalPerPeerMs) to those whose view did change. */
  #broadcast(room: LiveRoom) {
    this.#pendingFor(room).everyone = true;
  }

  /** A change only the hosts see (network test, link quality), and those peers themselves. */
  #broadcastToHosts(room: LiveRoom, ...peers: RoomPeer[]) {
    const pending = this.#pendingFor(room);
    pending.hosts = true;
    for (const peer of peers) pending.peerIds.add(peer.peerId);
  }

  #pendingFor(room: LiveRoom): PendingViews {
    let pending = this.#pendingViews.get(room);
    if (!pending) {
      let connected = 0;
      for (const peer of room.peers.values()) if (peer.socketId) connected++;
      const interval = Math.min(maxViewIntervalMs, connected * viewIntervalPerPeerMs);
      const wait = (this.#lastFlushAt.get(room) ?? -Infinity) + interval - performance.now();
      let cancel: () => void;
      if (wait > 0) {
        const timer = setTimeout(() => this.#flushViews(room), wait);
        cancel = () => clearTimeout(timer);
      } else {
        const immediate = setImmediate(() => this.#flushViews(room));
        cancel = () => clearImmediate(immediate);
      }
      pending = { everyone: false, hosts: false, peerIds: new Set(), cancel };
      this.#pendingViews.set(room, pending);
    }
    return pending;
  }

  #flushViews(room: LiveRoom) {
    const pending = this.#pendingViews.get(room);
    if (!pending) return;
    this.#pendingViews.delete(room);
    this.#lastFlushAt.set(room, performance.now());
    if (this.#closing || room.ended || this.#rooms.get(room.sessionId) !== room) return;
    for (const peer of room.peers.values()) if (peer.socketId && isPendingFor(pending, peer)) this.#sendView(room, peer);
  }

  /**
   * Called just before an ack goes out on this connection: if a change (its own or anyone's)
   * is waiting to be sent and concerns this peer, its view goes now, so that the room:state
   * reflecting a request precedes that request's ack, as when every change was sent at once.
   */
  viewBeforeAck(conn: Connection) {
    const room = conn.sessionId ? this.#rooms.get(conn.sessionId) : undefined;
    const pending = room && this.#pendingViews.get(room);
    const peer = conn.peerId ? room?.peers.get(conn.peerId) : undefined;
    if (!room || !pending || !peer || peer.socketId !== conn.socketId || room.ended || this.#closing) return;
    if (isPendingFor(pending, peer)) this.#sendView(room, peer);
  }

  #sendView(room: LiveRoom, peer: RoomPeer) {
    const socketId = peer.socketId;
    if (!socketId) return;
    const view = room.viewFor(peer);
    const serialised = JSON.stringify(view);
    if (this.#sentViews.get(socketId) === serialised) return;
    this.#sentViews.set(socketId, serialised);
    this.deps.notifier.emit(socketId, 'room:state', view);
  }
}

type RoomNotifierListener = import('../../media/media-room').MediaRoomListener;

function isPendingFor(pending: PendingViews, peer: RoomPeer) {
  return pending.everyone || (pending.hosts && peer.isHost) || pending.peerIds.has(peer.peerId);
}

function asRecord<T extends object>(value: T): Record<string, unknown> & T {
  return value as Record<string, unknown> & T;
}
