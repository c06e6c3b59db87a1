import { courts, type CourtCode } from '../../../shared/domain/courts.ts';
import { instalmentNoticeTimes, type NotificationKind } from '../../../shared/domain/notifications.ts';
import type { ServiceContext } from '../../context.ts';
import type { Db } from '../../db/client.ts';
import { conflict, forbidden, notFound } from '../../errors.ts';
import { appendAuditEvent } from '../audit/audit.repository.ts';
import type { JobLog, JobQueue } from '../../jobs/job-queue.ts';
import type { ObligationRow } from '../agreements/agreements.repository.ts';
import { amountFigures } from '../agreements/amount-in-words.ts';
import { type Principal, staffActor } from '../../access/principal.ts';
import * as repo from './notifications.repository.ts';
import type { SmsProvider } from './sms-provider.ts';

const deliverJob = 'deliver-notification';
const sweepJob = 'notifications-sweep';

export interface NotificationRetry {
  /** Attempts after the first before a message is marked failed. */
  retryLimit: number;
  retryDelaySeconds: number;
  retryDelayMaxSeconds: number;
}
export const defaultRetry: NotificationRetry = { retryLimit: 8, retryDelaySeconds: 30, retryDelayMaxSeconds: 3_600 };

/** After the commit that wrote messages: deliver the ones already due (the sweep takes the rest). */
export interface NotificationEffects {
  queued(ids: string[]): void;
}

/** Writes one message into the outbox inside the caller's transaction; null if it already exists. */
export function addToOutbox(
  tx: Db,
  ctx: ServiceContext,
  message: { caseId: string; organisationId?: string; sessionId?: string; participantId?: string; obligationId?: string; kind: NotificationKind; to: string; body: string; dedupeKey: string; sendAfter: Date; forScheduledAt?: Date },
) {
  return repo.insertNotification(tx, {
    caseId: message.caseId,
    organisationId: message.organisationId ?? null,
    sessionId: message.sessionId ?? null,
    participantId: message.participantId ?? null,
    obligationId: message.obligationId ?? null,
    kind: message.kind,
    recipient: message.to,
    bodyCiphertext: ctx.cipher.encrypt(message.body),
    dedupeKey: message.dedupeKey,
    sendAfter: message.sendAfter,
    forScheduledAt: message.forScheduledAt ?? null,
  });
}

const decisionText = { confirmed: '确认调解协议有效', rejected: '驳回司法确认申请', returned: '退回调解' } as const;

/** Tells each party of the case (by SMS) what the court decided; in the decision's transaction. */
export async function queueCourtDecision(
  tx: Db,
  ctx: ServiceContext,
  d: { confirmationId: string; caseId: string; caseNumber: string; courtCode: CourtCode; decision: keyof typeof decisionText; rulingNumber: string | null },
) {
  const ids: string[] = [];
  for (const party of await repo.reachableParties(tx, d.caseId)) {
    const ruling = d.rulingNumber ? `（${d.rulingNumber}）` : '';
    const body = `【海桥云调解】${party.displayName}您好：${courts[d.courtCode].name}对纠纷${d.caseNumber}的司法确认申请已作出决定：${decisionText[d.decision]}${ruling}。详情请联系调解员。`;
    const id = await addToOutbox(tx, ctx, { caseId: d.caseId, participantId: party.id, kind: 'court_decision', to: party.phone!, body, dedupeKey: `court_decision:${d.confirmationId}:${party.id}`, sendAfter: ctx.now() });
    if (id) ids.push(id);
  }
  return ids;
}

/**
 * Each instalment's notices to the obligor's side (the party or its agent, with a phone): due
 * tomorrow, and overdue the day after; written when the agreement is sealed, delivered by the sweep.
 */
export async function queueInstalmentNotices(tx: Db, ctx: ServiceContext, caseNumber: string, instalments: ObligationRow[]) {
  for (const o of instalments) {
    const amount = o.amountFen === null ? '' : `人民币${amountFigures(o.amountFen)}元`;
    for (const person of await repo.reachableFor(tx, o.caseId, o.obligorPartyId)) {
      for (const { kind, sendAfter } of instalmentNoticeTimes(o.dueDate)) {
        const what = kind === 'instalment_due' ? `应于${o.dueDate}履行` : `已于${o.dueDate}到期，尚未登记履行，请尽快履行`;
        const body = `【海桥云调解】${person.displayName}您好：纠纷${caseNumber}调解协议第${o.ordinal}期（${o.description}${amount ? `，${amount}` : ''}）${what}。如已履行请告知调解员。`;
        await addToOutbox(tx, ctx, { caseId: o.caseId, participantId: person.id, obligationId: o.id, kind, to: person.phone!, body, dedupeKey: `${kind}:${o.id}:${person.id}`, sendAfter });
      }
    }
  }
}

export interface Notifier extends NotificationEffects {
  /** Queues delivery of every pending message that is due (the every-minute job; callable in tests). */
  sweep(): Promise<void>;
  idle(): Promise<void>;
}

/**
 * Delivery through pg-boss: one `deliver-notification` job per message (keyed by its id, so a
 * message is queued once), retried with exponential backoff; a `notifications-sweep` every minute
 * queues whatever is due, so reminders go out on time and nothing is lost to a crash between a
 * commit and its send.
 */
export async function createNotifier(ctx: ServiceContext, jobs: JobQueue, provider: SmsProvider, log: JobLog, retry: NotificationRetry = defaultRetry): Promise<Notifier> {
  async function deliver(id: string): Promise<void> {
    const found = await repo.findNotification(ctx.db, id);
    if (found?.status !== 'pending') return; // already settled by an earlier try
    if (found.sessionId && found.forScheduledAt) {
      const session = await repo.sessionOf(ctx.db, found.sessionId);
      // Moved, over, or (after an outage) already begun: a reminder then would only confuse.
      const moved = !session || session.scheduledAt.getTime() !== found.forScheduledAt.getTime() || session.status === 'ended' || session.status === 'cancelled' || ctx.now() >= session.scheduledAt;
      if (moved) return void (await repo.settle(ctx.db, id, { status: 'cancelled' }));
    }
    if (found.obligationId && !(await repo.instalmentOpen(ctx.db, found.obligationId))) return void (await repo.settle(ctx.db, id, { status: 'cancelled' }));
    const attempts = await repo.recordAttempt(ctx.db, id);
    if (attempts === null) return;
    try {
      const { messageId } = await provider.send({ notificationId: id, to: found.recipient, body: ctx.cipher.decrypt(found.bodyCiphertext) });
      await repo.settle(ctx.db, id, { status: 'sent', provider: provider.name, providerMessageId: messageId, sentAt: ctx.now() });
    } catch (err) {
      const lastError = err instanceof Error ? err.message.slice(0, 500) : 'send failed';
      const exhausted = attempts > retry.retryLimit;
      await repo.settle(ctx.db, id, exhausted ? { status: 'failed', lastError, provider: provider.name } : { lastError, provider: provider.name });
      if (!exhausted) throw err; // pg-boss retries with backoff
    }
  }

  await jobs.define<{ notificationId: string }>({ name: deliverJob, run: ({ notificationId }) => deliver(notificationId), expireInSeconds: 120, ...retry });
  const notifier: Notifier = {
    queued(ids) {
      for (const id of ids) jobs.send(deliverJob, { notificationId: id }, id).catch((err: unknown) => log.error({ err, id }, 'could not queue a notification; the sweep will'));
    },
    async sweep() {
      notifier.queued(await repo.duePending(ctx.db, ctx.now()));
    },
    idle: () => jobs.idle(),
  };
  await jobs.define<object>({ name: sweepJob, run: () => notifier.sweep(), retryLimit: 0, retryDelaySeconds: 60, retryDelayMaxSeconds: 60, expireInSeconds: 120 });
  await jobs.every(sweepJob, '* * * * *');
  return notifier;
}

/** The outbox page: messages of the caller's center, texts decrypted for its staff. */
export async function listOutbox(ctx: ServiceContext, p: Principal) {
  if (p.organisationKind !== 'mediation_center') throw forbidden('the outbox belongs to a mediation center');
  const rows = await repo.listForCenter(ctx.db, p.organisationId);
  return { items: rows.map(({ n, caseNumber }) => outboxItem(ctx, n, caseNumber)) };
}

function outboxItem(ctx: ServiceContext, n: repo.NotificationRow, caseNumber: string) {
  return {
    id: n.id,
    caseId: n.caseId,
    caseNumber,
    kind: n.kind,
    recipient: n.recipient,
    body: ctx.cipher.decrypt(n.bodyCiphertext),
    status: n.status,
    attempts: n.attempts,
    lastError: n.lastError,
    provider: n.provider,
    sendAfter: n.sendAfter.toISOString(),
    sentAt: n.sentAt?.toISOString() ?? null,
  };
}

/**
 * Staff send a failed message again (e.g. the gateway was down for hours): back to `pending` with a
 * fresh retry budget, audited, then delivered by the same `deliver-notification` job after the
 * commit. Only a failed message: a pending one is still being tried, a sent one went out.
 */
export async function resendNotification(ctx: ServiceContext, effects: NotificationEffects, p: Principal, id: string) {
  if (p.organisationKind !== 'mediation_center') throw forbidden('the outbox belongs to a mediation center');
  const item = await ctx.db.transaction(async (tx) => {
    const found = await repo.findWithCenter(tx, id);
    if (!found || found.centerId !== p.organisationId) throw notFound('notification');
    if (found.n.status !== 'failed') throw conflict(`only a failed message is sent again; this one is ${found.n.status}`);
    const row = await repo.reopenFailed(tx, id);
    if (!row) throw conflict('the message changed meanwhile; reload and try again');
    await appendAuditEvent(tx, { type: 'notification.resent', caseId: found.n.caseId, actor: staffActor(p), data: { notificationId: id, previousAttempts: found.n.attempts, lastError: found.n.lastError } });
    return outboxItem(ctx, row, found.caseNumber);
  });
  effects.queued([id]);
  return item;
}
