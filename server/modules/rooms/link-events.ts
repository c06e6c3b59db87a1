import { auditEvent } from '../../../shared/audit-events.ts';
import type { LinkDecision } from '../../../shared/realtime.ts';
import { appendAuditEvent } from '../audit/audit.repository.ts';
import type { RoomPeer } from './live-room.ts';
import type { RoomContext } from './room-context.ts';
import { actorOf } from './room-record.ts';
import type { Connection } from './room-types.ts';

/** At most one link event in the audit trail per person per this long; the rest are counted. */
export const linkAuditIntervalMs = 10_000;

interface AuditBudget {
  lastAt: number;
  suppressed: number;
}

/**
 * A person's link adaptation decisions (issue 13): the room (and so the mediator's panel) sees
 * where their own send and receive paths stand and why; the audit trail gets a rate-limited link
 * event. The decision itself was taken on the person's device from their own statistics.
 */
export class LinkEvents {
  private readonly ctx: RoomContext;
  readonly #budgets = new WeakMap<RoomPeer, AuditBudget>();

  constructor(ctx: RoomContext) {
    this.ctx = ctx;
  }

  async adapt(conn: Connection, decision: LinkDecision) {
    const { room, peer } = this.ctx.registry.admittedOf(conn);
    const now = this.ctx.deps.now();
    const current = peer.link ?? { send: 'high' as const, recv: 'high' as const };
    peer.link = {
      send: decision.direction === 'send' ? decision.to : current.send,
      recv: decision.direction === 'recv' ? decision.to : current.recv,
      last: decision,
      at: now.toISOString(),
    };
    this.ctx.views.broadcast(room);
    const budget = this.#budgets.get(peer) ?? { lastAt: Number.NEGATIVE_INFINITY, suppressed: 0 };
    this.#budgets.set(peer, budget);
    if (now.getTime() - budget.lastAt < linkAuditIntervalMs) {
      budget.suppressed += 1;
      return {};
    }
    const suppressed = budget.suppressed;
    budget.lastAt = now.getTime();
    budget.suppressed = 0;
    const event = auditEvent('attendance.link_adapted', { sessionId: room.sessionId, attendanceId: peer.peerId, ...decision, suppressed });
    await this.ctx.deps.db.transaction((tx) => appendAuditEvent(tx, { ...event, caseId: room.caseId, actor: actorOf(peer) }));
    return {};
  }
}
