import { randomInt } from 'node:crypto';
import { attendanceMachine, type AttendanceState } from '../../../shared/domain/attendance.ts';
import type { SessionStatus } from '../../../shared/domain/sessions.ts';
import type { ClientRequest } from '../../../shared/realtime.ts';
import { conflict, notFound } from '../../errors.ts';
import { newToken } from '../../security/tokens.ts';
import { moveSession } from '../sessions/sessions.service.ts';
import type { Departures } from './departures.ts';
import { jointSpace, type LiveRoom, type RoomPeer } from './live-room.ts';
import { mediaCall } from './media-signalling.ts';
import type { RoomContext } from './room-context.ts';
import { actorOf, oneTimeCodeHash } from './room-record.ts';
import type { Connection } from './room-types.ts';

const oneTimeCodeMinutes = 15;

/**
 * The host's controls. Each decision is recorded (database and audit event, one transaction)
 * before the live room and its media follow it, so a restart or another server finds it there.
 */
export class HostControls {
  private readonly ctx: RoomContext;
  private readonly departures: Departures;

  constructor(
    ctx: RoomContext,
    departures: Departures,
  ) {
    this.ctx = ctx;
    this.departures = departures;
  }

  async admit(conn: Connection, { peerId }: { peerId: string }) {
    const { room } = this.ctx.registry.hostOf(conn);
    const target = this.ctx.registry.target(room, peerId);
    if (target.state !== 'lobby') throw conflict(`${target.displayName} is not waiting in the lobby`);
    room.peerFromRow(await this.ctx.record.moveFromCurrent(room, target, 'admitted', { admittedAt: this.ctx.deps.now() }, 'attendance.admitted'));
    this.ctx.registry.tell(target, 'attendance:changed', { state: 'admitted' });
    this.ctx.views.broadcast(room);
    return {};
  }

  async refuse(conn: Connection, { peerId, reason }: { peerId: string; reason?: string | undefined }) {
    const { room } = this.ctx.registry.hostOf(conn);
    const target = this.ctx.registry.target(room, peerId);
    if (target.state !== 'lobby') throw conflict(`${target.displayName} is not waiting in the lobby`);
    await this.ctx.record.moveFromCurrent(room, target, 'refused', { leftAt: this.ctx.deps.now() }, 'attendance.refused', { reason: reason ?? null });
    this.departures.evict(room, target, 'refused', reason ?? 'the mediator did not admit you to this session');
    return {};
  }

  async remove(conn: Connection, { peerId }: { peerId: string }) {
    const { room, peer: host } = this.ctx.registry.hostOf(conn);
    const target = this.ctx.registry.target(room, peerId);
    if (target.peerId === host.peerId) throw conflict('you cannot remove yourself');
    const to: AttendanceState = target.state === 'admitted' ? 'removed' : 'refused';
    if (!attendanceMachine.canTransition(target.state, to)) throw conflict(`${target.displayName} is not in the room`);
    await this.ctx.record.moveFromCurrent(room, target, to, { leftAt: this.ctx.deps.now() }, to === 'removed' ? 'attendance.removed' : 'attendance.refused');
    this.departures.evict(room, target, to, 'the mediator removed you from this session');
    return {};
  }

  async lock(conn: Connection, { locked }: { locked: boolean }) {
    const { room, peer: host } = this.ctx.registry.hostOf(conn);
    await this.ctx.record.setLocked(room, host, locked);
    room.locked = locked;
    this.ctx.views.broadcast(room);
    return {};
  }

  async mute(conn: Connection, { peerId, kind, muted }: ClientRequest<'host:mute'>) {
    const { room, peer: host } = this.ctx.registry.hostOf(conn);
    const target = this.ctx.registry.target(room, peerId);
    await this.ctx.record.setHostMuted(room, host, target, kind, muted);
    target.hostMuted = { ...target.hostMuted, [kind]: muted };
    if (room.media?.hasPeer(peerId)) await mediaCall(() => room.media!.setHostMuted(peerId, kind, muted));
    this.ctx.registry.tell(target, 'media:host-muted', { kind, muted });
    this.ctx.views.broadcast(room);
    return {};
  }

  async spotlight(conn: Connection, { peerId }: { peerId: string | null }) {
    const { room, peer: host } = this.ctx.registry.hostOf(conn);
    if (peerId !== null && this.ctx.registry.target(room, peerId).state !== 'admitted') throw conflict('only someone in the room can be spotlit');
    await this.ctx.record.setSpotlight(room, host, peerId);
    room.spotlightPeerId = peerId;
    this.ctx.views.broadcast(room);
    return {};
  }

  async allowScreen(conn: Connection, { peerId, allowed }: { peerId: string; allowed: boolean }) {
    const { room, peer: host } = this.ctx.registry.hostOf(conn);
    const target = this.ctx.registry.target(room, peerId);
    await this.ctx.record.setScreenPermission(room, host, target, allowed);
    target.canShareScreen = target.isHost || allowed;
    // Permission taken back while sharing: the share stops for everyone at once, on the server.
    if (!target.canShareScreen && room.media?.hasPeer(peerId)) room.media.closeSource(peerId, 'screen');
    this.ctx.views.broadcast(room);
    return {};
  }

  /** A six-digit code the mediator reads out to someone who cannot confirm with an ID number. */
  async issueCode(conn: Connection, { peerId }: { peerId: string }) {
    const { room, peer: host } = this.ctx.registry.hostOf(conn);
    const target = this.ctx.registry.target(room, peerId);
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    const expiresAt = new Date(this.ctx.deps.now().getTime() + oneTimeCodeMinutes * 60_000);
    await this.ctx.record.issueCode(room, host, target, oneTimeCodeHash(target.peerId, code), expiresAt);
    return { code };
  }

  async changeSession(conn: Connection, { to }: { to: 'live' | 'paused' | 'ended' }) {
    const { room, peer } = this.ctx.registry.hostOf(conn);
    const row = await this.ctx.deps.db.transaction((tx) => moveSession(tx, room.sessionId, to, actorOf(peer)));
    room.status = row.status;
    if (row.status === 'ended') await this.departures.endRoom(room, 'the mediator ended the session');
    else this.ctx.views.broadcast(room);
    return { status: row.status as SessionStatus };
  }

  async openCaucus(conn: Connection, { name }: { name: string }) {
    const { room, peer: host } = this.ctx.registry.hostOf(conn);
    const id = `caucus-${newToken().slice(0, 8)}`;
    await this.ctx.record.openCaucus(room, host, id, name);
    room.caucuses.set(id, name);
    this.ctx.views.broadcast(room);
    return { id, name };
  }

  async closeCaucus(conn: Connection, { caucusId }: { caucusId: string }) {
    const { room, peer: host } = this.ctx.registry.hostOf(conn);
    if (!room.caucuses.has(caucusId)) throw notFound('caucus');
    await this.ctx.record.closeCaucus(room, host, caucusId, jointSpace);
    room.caucuses.delete(caucusId);
    for (const peer of room.peers.values()) if (peer.space === caucusId) await this.#placeIn(room, peer, jointSpace);
    this.ctx.views.broadcast(room);
    return {};
  }

  /** Moves anyone (the host too, to visit) between the joint room and caucuses. */
  async move(conn: Connection, { peerId, space }: { peerId: string; space: string }) {
    const { room, peer: host } = this.ctx.registry.hostOf(conn);
    if (space !== jointSpace && !room.caucuses.has(space)) throw notFound('caucus');
    const target = this.ctx.registry.target(room, peerId);
    if (target.state !== 'admitted') throw conflict(`${target.displayName} is not in the room`);
    await this.ctx.record.moveToSpace(room, host, target, space, jointSpace);
    await this.#placeIn(room, target, space);
    this.ctx.views.broadcast(room);
    return {};
  }

  async showEvidence(conn: Connection, { evidenceId, page }: { evidenceId: string; page: number }) {
    const { room, peer } = this.ctx.registry.hostOf(conn);
    const { evidence } = this.ctx.deps;
    const found = evidence ? await evidence.find(room.caseId, evidenceId) : undefined;
    if (!found) throw notFound('evidence');
    // Recorded before anyone is shown the item: no showing without its custody record.
    await evidence!.recordShown({
      caseId: room.caseId,
      evidenceId,
      page,
      sessionId: room.sessionId,
      actor: actorOf(peer),
      audience: room.admittedIn(jointSpace).map((p) => p.displayName),
    });
    room.evidence = { evidenceId, fileName: found.fileName, contentType: found.contentType, page, url: evidence!.url(evidenceId, page) };
    this.ctx.views.broadcast(room);
    return {};
  }

  hideEvidence(conn: Connection) {
    const { room } = this.ctx.registry.hostOf(conn);
    room.evidence = null;
    this.ctx.views.broadcast(room);
    return {};
  }

  /** The live copy and the media follow a recorded move. */
  async #placeIn(room: LiveRoom, peer: RoomPeer, space: string) {
    peer.space = space;
    if (room.media?.hasPeer(peer.peerId)) await mediaCall(() => room.media!.movePeer(peer.peerId, space));
  }
}
