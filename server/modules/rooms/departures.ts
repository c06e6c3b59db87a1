import { attendanceMachine, reconnectGraceMs, type AttendanceState } from '../../../shared/domain/attendance.ts';
import type { AccessWithdrawnCause } from '../../../shared/realtime.ts';
import type { AccessWithdrawal } from '../sessions/access-effects.ts';
import * as repo from './attendance.repository.ts';
import type { LiveRoom, RoomPeer } from './live-room.ts';
import type { RoomContext } from './room-context.ts';
import { AppError } from '../../errors.ts';
import type { Connection } from './room-types.ts';

/**
 * How people leave a room: by choice, by a dropped connection (their place is kept for the
 * grace period, also after a restart), by the host's refusal or removal, by losing their
 * invitation, or because the session ended.
 */
export class Departures {
  /** Called first when a room ends (set by the service: the recording stops with the session). */
  onEnding: (room: LiveRoom) => Promise<void> = async () => undefined;
  private readonly ctx: RoomContext;

  constructor(ctx: RoomContext) {
    this.ctx = ctx;
  }

  get graceMs() {
    return this.ctx.deps.graceMs ?? reconnectGraceMs;
  }

  async leave(conn: Connection) {
    const { room, peer } = this.ctx.registry.peerOf(conn);
    await this.markLeft(room, peer);
    conn.peerId = undefined;
    conn.sessionId = undefined;
    return {};
  }

  /** The socket dropped: the place is kept for the grace period, then counts as left. */
  disconnected(conn: Connection) {
    this.ctx.views.forgetSocket(conn.socketId);
    if (this.ctx.registry.closing || !conn.peerId || !conn.sessionId) return;
    const room = this.ctx.registry.get(conn.sessionId);
    const peer = room?.peers.get(conn.peerId);
    if (!room || !peer || peer.socketId !== conn.socketId) return;
    peer.socketId = null;
    this.holdPlace(room, peer);
    this.ctx.views.broadcast(room);
  }

  /**
   * Keeps an unconnected peer's place for the grace period: after a drop, and for everyone a
   * room rebuilt from the database brings back (a restart is a drop for all of them).
   */
  holdPlace(room: LiveRoom, peer: RoomPeer) {
    if (peer.graceTimer) clearTimeout(peer.graceTimer);
    peer.graceTimer = setTimeout(() => {
      peer.graceTimer = null;
      if (peer.socketId !== null || !this.ctx.registry.holds(room) || room.peers.get(peer.peerId) !== peer) return;
      // Someone is entering this place now (the room may have been rebuilt by that very entry):
      // it is theirs unless the entry fails, and then the grace period runs once more.
      if (peer.entering > 0) return this.holdPlace(room, peer);
      void this.markLeft(room, peer).catch((err: unknown) => this.ctx.deps.log.error({ err }, 'could not mark a peer as left'));
    }, this.graceMs);
    peer.graceTimer.unref();
  }

  async markLeft(room: LiveRoom, peer: RoomPeer) {
    if (attendanceMachine.canTransition(peer.state, 'left')) {
      room.peerFromRow(await this.ctx.record.moveFromCurrent(room, peer, 'left', { leftAt: this.ctx.deps.now() }, 'attendance.left'));
    }
    room.media?.removePeer(peer.peerId);
    peer.handRaised = false;
    if (peer.socketId === null || peer.state === 'left') room.peers.delete(peer.peerId);
    if (room.spotlightPeerId === peer.peerId) room.spotlightPeerId = null;
    this.ctx.views.broadcast(room);
  }

  /** Out of the room now (refused, removed, access withdrawn): told why, then let go. */
  evict(room: LiveRoom, target: RoomPeer, state: AttendanceState, reason: string, cause?: AccessWithdrawnCause) {
    room.media?.removePeer(target.peerId);
    if (target.graceTimer) clearTimeout(target.graceTimer);
    target.graceTimer = null;
    room.peers.delete(target.peerId);
    if (room.spotlightPeerId === target.peerId) room.spotlightPeerId = null;
    if (target.socketId) {
      this.ctx.registry.tell(target, 'attendance:changed', { state, reason, ...(cause ? { cause } : {}) });
      this.ctx.deps.notifier.disconnect(target.socketId, reason);
    }
    this.ctx.views.broadcast(room);
  }

  async endRoom(room: LiveRoom, reason: string) {
    // No room:state after session:ended (views still pending for it are dropped).
    room.ended = true;
    if (room.recording) await this.onEnding(room);
    this.ctx.views.drop(room);
    try {
      for (const peer of [...room.peers.values()]) {
        if (peer.graceTimer) clearTimeout(peer.graceTimer);
        if (attendanceMachine.canTransition(peer.state, 'left')) {
          // Someone who left meanwhile (a grace period ran out) is already 'left': nothing to record.
          await this.ctx.record.moveFromCurrent(room, peer, 'left', { leftAt: this.ctx.deps.now() }, 'attendance.left').catch((error: unknown) => {
            if (!(error instanceof AppError && error.code === 'CONFLICT')) throw error;
          });
        }
        if (peer.socketId) {
          this.ctx.registry.tell(peer, 'session:ended', { reason });
          this.ctx.deps.notifier.disconnect(peer.socketId, reason);
        }
      }
    } finally {
      // Whatever happened above, the ended room lets go of its router (else it stays open for good).
      room.media?.close();
      this.ctx.registry.forget(room);
    }
  }

  /**
   * An invitation was revoked or a participant removed from the case (after that commit): their
   * resume tokens stop working and their connections to the affected sessions end now, with a
   * cause their page explains. Revoking one of two links to the same session lets go only of
   * connections made with the revoked one (or with a resume token alone); the other link still gets in.
   */
  async withdrawAccess(withdrawal: AccessWithdrawal): Promise<void> {
    const { db, now } = this.ctx.deps;
    const { record, registry } = this.ctx;
    const reason = withdrawal.cause === 'invitation_revoked' ? 'your invitation has been revoked' : 'you are no longer a participant of this case';
    for (const row of await repo.listForParticipant(db, withdrawal.participantId, withdrawal.sessionId)) {
      await repo.updateAttendance(db, row.id, { resumeTokenHash: null });
      const room = registry.get(row.sessionId);
      const peer = room?.peers.get(row.id);
      if (withdrawal.invitationId && (await repo.hasUnrevokedInvitation(db, row.sessionId, withdrawal.participantId))) {
        // Another link of theirs still works: only a connection made with the revoked one ends.
        if (room && peer?.socketId && (peer.viaInvitationId === withdrawal.invitationId || peer.viaInvitationId === null)) {
          registry.tell(peer, 'attendance:changed', { state: peer.state, reason, cause: withdrawal.cause });
          this.ctx.deps.notifier.disconnect(peer.socketId, reason);
        }
        continue;
      }
      let current: repo.AttendanceRow | undefined = row;
      if (attendanceMachine.canTransition(row.state, 'left')) {
        current = await record.move(row, 'left', { leftAt: now() }, 'attendance.left', withdrawal.caseId, { cause: withdrawal.cause }).catch(async (err: unknown) => {
          // Moved meanwhile (admitted, left): once more from where it is now.
          const fresh = await repo.findAttendance(db, row.id);
          if (fresh && attendanceMachine.canTransition(fresh.state, 'left')) return record.move(fresh, 'left', { leftAt: now() }, 'attendance.left', withdrawal.caseId, { cause: withdrawal.cause });
          if (fresh) return fresh;
          throw err;
        });
      }
      if (room && peer) this.evict(room, peer, current?.state ?? 'left', reason, withdrawal.cause);
    }
  }
}
