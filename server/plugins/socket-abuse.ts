import type { ServiceContext } from '../context.ts';
import { appendAuditEvent } from '../modules/audit/audit.repository.ts';
import type { Connection } from '../modules/rooms/rooms.service.ts';
import { findSession } from '../modules/sessions/sessions.repository.ts';

/** A connection cut for flooding events: one audit event naming who, from where and with what. */
export async function recordAbuse(ctx: Pick<ServiceContext, 'db'>, conn: Connection, detail: { event: string; address: string }) {
  const actor =
    conn.identity.kind === 'staff'
      ? { kind: 'staff' as const, staffUserId: conn.identity.principal.staffUserId }
      : conn.identity.kind === 'participant'
        ? { kind: 'participant' as const, participantId: conn.identity.participantId }
        : { kind: 'system' as const };
  const caseId = await caseOfSession(ctx, conn.sessionId ?? (conn.identity.kind === 'participant' ? conn.identity.sessionId : undefined));
  await ctx.db.transaction((tx) =>
    appendAuditEvent(tx, {
      type: 'realtime.abuse_disconnected',
      caseId,
      actor,
      data: { event: detail.event.slice(0, 40), address: detail.address, sessionId: conn.sessionId ?? null, peerId: conn.peerId ?? null },
    }),
  );
}

async function caseOfSession(ctx: Pick<ServiceContext, 'db'>, sessionId: string | undefined) {
  return sessionId ? ((await findSession(ctx.db, sessionId))?.caseId ?? null) : null;
}
