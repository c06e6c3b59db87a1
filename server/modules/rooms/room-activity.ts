import type { LinkEvent } from '../../../shared/realtime.ts';
import { applyDownlinkCap } from './media-signalling.ts';
import type { RoomContext } from './room-context.ts';
import * as repo from './attendance.repository.ts';
import type { Connection } from './room-types.ts';

/** What everyone admitted does in the room: raise a hand, chat in their space, report their link. */
export class RoomActivity {
  private readonly ctx: RoomContext;

  constructor(ctx: RoomContext) {
    this.ctx = ctx;
  }

  raiseHand(conn: Connection, { raised }: { raised: boolean }) {
    const { room, peer } = this.ctx.registry.admittedOf(conn);
    peer.handRaised = raised;
    this.ctx.views.broadcast(room);
    return {};
  }

  async sendChat(conn: Connection, { text }: { text: string }) {
    const { room, peer } = this.ctx.registry.admittedOf(conn);
    const row = await repo.insertChatMessage(this.ctx.deps.db, { sessionId: room.sessionId, caseId: room.caseId, attendanceId: peer.peerId, space: peer.space, text });
    const message = { id: row.id, space: row.space, peerId: peer.peerId, displayName: peer.displayName, text: row.text, sentAt: row.sentAt.toISOString() };
    for (const other of room.admittedIn(peer.space)) if (other.socketId) this.ctx.registry.tell(other, 'chat:message', message);
    return message;
  }

  async chatHistory(conn: Connection) {
    const { room, peer } = this.ctx.registry.admittedOf(conn);
    const rows = await repo.listChat(this.ctx.deps.db, room.sessionId);
    return {
      messages: rows
        .filter((r) => r.message.space === peer.space)
        .map((r) => ({ id: r.message.id, space: r.message.space, peerId: r.message.attendanceId, displayName: r.displayName, text: r.message.text, sentAt: r.message.sentAt.toISOString() })),
    };
  }

  reportStats(conn: Connection, request: { rttMs: number | null; lossPct: number | null; sendKbps: number | null; recvKbps: number | null }) {
    const { room, peer } = this.ctx.registry.admittedOf(conn);
    peer.linkQuality = { ...request, at: this.ctx.deps.now().toISOString() };
    this.ctx.views.toHosts(room);
    return {};
  }

  /**
   * A decision of the person's own weak-link controller: kept on the peer (everyone sees the
   * levels, the host also why), logged. Rare by design (hysteresis), so everyone's view is sent.
   * A receive level also caps what the SFU sends the person (applyDownlinkCap).
   */
  async reportLinkEvent(conn: Connection, event: LinkEvent) {
    const { room, peer } = this.ctx.registry.admittedOf(conn);
    const at = this.ctx.deps.now().toISOString();
    const levels = peer.link ?? { send: 'full', recv: 'full' };
    // A level told again after a reconnect (the client cannot know whether this node knew it): nothing changed.
    if (levels[event.direction] === event.to) return {};
    peer.link = { send: levels.send, recv: levels.recv, [event.direction]: event.to, last: { ...event, at } };
    this.ctx.deps.log.info({ sessionId: room.sessionId, peerId: peer.peerId, role: peer.role, ...event }, 'link adaptation');
    this.ctx.views.broadcast(room);
    if (event.direction === 'recv') await applyDownlinkCap(room, peer, this.ctx.deps.log);
    return {};
  }
}
