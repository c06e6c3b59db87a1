// Deleting recordings: by the retention rule of the case's organisation (a pg-boss job, daily) or
// by hand (the case's mediator, with a reason). Each deletion is one transaction: a tombstone
// (recording_deletions: every segment's file key, SHA-256 and size, the rule, who, why), the
// recording's rows (segments, gaps, consents by cascade) and a `recording.deleted` audit event;
// the files go after the commit. The audit chain is never touched: the segments' own
// `recording.segment_stored` events stay, so the chain still verifies and still proves what existed.
// Legal hold: nothing of a case with a pending court application (filed, accepted, under review)
// is deleted, by hand or by retention.
import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { and, eq, inArray, isNotNull, isNull, lt, sql } from 'drizzle-orm';
import { legalHoldStatuses } from '../../../shared/domain/recordings.ts';
import type { RecordingDeletionView } from '../../../shared/api/recordings.ts';
import type { AuditActor } from '../../../shared/audit-events.ts';
import type { Db } from '../../db/client.ts';
import { cases, confirmations, organisations, recordingDeletions, recordingSegments, recordings } from '../../db/schema/index.ts';
import type { ServiceContext } from '../../context.ts';
import { conflict, forbidden, notFound } from '../../errors.ts';
import type { JobLog, JobQueue } from '../../jobs/job-queue.ts';
import { type Principal, staffActor } from '../../access/principal.ts';
import { loadCase } from '../../access/case-loading.ts';
import { appendAuditEvent } from '../audit/audit.repository.ts';

type Rule = { rule: 'manual'; reason: string; by: Principal } | { rule: 'retention'; retentionDays: number };

async function onLegalHold(db: Db, caseId: string): Promise<boolean> {
  const [row] = await db
    .select({ id: confirmations.id })
    .from(confirmations)
    .where(and(eq(confirmations.caseId, caseId), inArray(confirmations.status, [...legalHoldStatuses])))
    .limit(1);
  return Boolean(row);
}

/** Deletes one stopped recording (rows now, files after commit); false when it was gone or not stopped. */
async function deleteRecording(ctx: ServiceContext, filesDir: string, recordingId: string, how: Rule): Promise<boolean> {
  const actor: AuditActor = how.rule === 'manual' ? staffActor(how.by) : { kind: 'system' };
  const deleted = await ctx.db.transaction(async (tx) => {
    // Locked: a second deletion of the same recording (two nodes, a double click) waits and finds nothing.
    const [row] = await tx.select().from(recordings).where(eq(recordings.id, recordingId)).for('update');
    if (row?.state !== 'stopped') return null;
    if (await onLegalHold(tx, row.caseId)) {
      if (how.rule === 'manual') throw conflict('the case has a pending court application: its recordings are on legal hold');
      return null;
    }
    const segments = (await tx.select().from(recordingSegments).where(eq(recordingSegments.recordingId, recordingId)).orderBy(recordingSegments.fileKey)).map((s) => ({
      fileKey: s.fileKey,
      sha256: s.sha256,
      bytes: s.bytes,
    }));
    const [tombstone] = await tx
      .insert(recordingDeletions)
      .values({
        recordingId,
        caseId: row.caseId,
        sessionId: row.sessionId,
        startedAt: row.startedAt,
        stoppedAt: row.stoppedAt,
        rule: how.rule,
        retentionDays: how.rule === 'retention' ? how.retentionDays : null,
        reason: how.rule === 'manual' ? how.reason : null,
        deletedBy: how.rule === 'manual' ? how.by.staffUserId : null,
        segments,
        deletedAt: ctx.now(),
      })
      .returning();
    await tx.delete(recordings).where(eq(recordings.id, recordingId));
    await appendAuditEvent(tx, {
      type: 'recording.deleted',
      caseId: row.caseId,
      actor,
      data: {
        sessionId: row.sessionId,
        recordingId,
        deletionId: tombstone!.id,
        rule: how.rule,
        retentionDays: how.rule === 'retention' ? how.retentionDays : null,
        reason: how.rule === 'manual' ? how.reason : null,
        segments: segments.length,
        bytes: segments.reduce((sum, s) => sum + s.bytes, 0),
        segmentsSha256: segmentListHash(segments),
      },
    });
    return row;
  });
  if (!deleted) return false;
  await removeFiles(filesDir, recordingId);
  return true;
}

/** SHA-256 of the sorted "sha256  fileKey" lines: what `recording.deleted` carries for the tombstone's list. */
export function segmentListHash(segments: { fileKey: string; sha256: string }[]): string {
  const lines = segments.map((s) => `${s.sha256}  ${s.fileKey}\n`).sort();
  return createHash('sha256').update(lines.join('')).digest('hex');
}

function removeFiles(filesDir: string, recordingId: string) {
  return rm(path.join(filesDir, 'recordings', recordingId), { recursive: true, force: true });
}

/** By hand: the case's mediator (write access), with a reason; refused on legal hold and while recording. */
export async function deleteByHand(ctx: ServiceContext, filesDir: string, principal: Principal, caseId: string, recordingId: string, reason: string): Promise<void> {
  if (principal.role !== 'mediator') throw forbidden('only the case’s mediation center deletes recordings');
  await loadCase(ctx.db, principal, caseId, 'write');
  const [row] = await ctx.db.select({ state: recordings.state }).from(recordings).where(and(eq(recordings.id, recordingId), eq(recordings.caseId, caseId)));
  if (!row) throw notFound('recording');
  if (row.state !== 'stopped') throw conflict('stop the recording before deleting it');
  if (!(await deleteRecording(ctx, filesDir, recordingId, { rule: 'manual', reason, by: principal }))) throw notFound('recording');
}

/**
 * The retention rule: every stopped recording of a case whose center keeps recordings `n` days,
 * stopped more than `n` days ago and not on legal hold, is deleted. Also removes files left by a
 * deletion whose file removal failed after its commit. Returns how many were deleted.
 */
export async function applyRetention(ctx: ServiceContext, filesDir: string): Promise<number> {
  const now = ctx.now();
  const due = await ctx.db
    .select({ id: recordings.id, days: organisations.recordingRetentionDays })
    .from(recordings)
    .innerJoin(cases, eq(cases.id, recordings.caseId))
    .innerJoin(organisations, eq(organisations.id, cases.centerId))
    .where(
      and(
        eq(recordings.state, 'stopped'),
        isNotNull(organisations.recordingRetentionDays),
        lt(recordings.stoppedAt, sql`${now.toISOString()}::timestamptz - make_interval(days => ${organisations.recordingRetentionDays})`),
      ),
    );
  let deleted = 0;
  for (const { id, days } of due) if (await deleteRecording(ctx, filesDir, id, { rule: 'retention', retentionDays: days! })) deleted++;
  // Files whose rows a committed deletion removed (the removal after commit failed): removed now.
  const leftovers = await ctx.db.select({ id: recordingDeletions.recordingId }).from(recordingDeletions).leftJoin(recordings, eq(recordings.id, recordingDeletions.recordingId)).where(isNull(recordings.id));
  for (const { id } of leftovers) await removeFiles(filesDir, id);
  return deleted;
}

/** The tombstones of a case's deleted recordings (full case access, like the recordings). */
export async function listDeletions(ctx: ServiceContext, principal: Principal, caseId: string): Promise<RecordingDeletionView[]> {
  await loadCase(ctx.db, principal, caseId, 'full');
  const rows = await ctx.db.select().from(recordingDeletions).where(eq(recordingDeletions.caseId, caseId)).orderBy(recordingDeletions.deletedAt);
  return rows.map((r) => ({
    id: r.id,
    recordingId: r.recordingId,
    sessionId: r.sessionId,
    startedAt: r.startedAt.toISOString(),
    stoppedAt: r.stoppedAt?.toISOString() ?? null,
    rule: r.rule,
    retentionDays: r.retentionDays,
    reason: r.reason,
    deletedBy: r.deletedBy,
    deletedAt: r.deletedAt.toISOString(),
    segments: r.segments,
  }));
}

/** An admin sets how long an organisation's recordings are kept (audited with the old and new value). */
export async function setRetention(ctx: ServiceContext, principal: Principal, organisationId: string, days: number | null): Promise<{ days: number | null }> {
  return ctx.db.transaction(async (tx) => {
    const [row] = await tx.select({ days: organisations.recordingRetentionDays }).from(organisations).where(eq(organisations.id, organisationId)).for('update');
    if (!row) throw notFound('organisation');
    if (row.days === days) return { days };
    await tx.update(organisations).set({ recordingRetentionDays: days }).where(eq(organisations.id, organisationId));
    await appendAuditEvent(tx, { type: 'organisation.recording_retention_changed', actor: staffActor(principal), data: { organisationId, from: row.days, to: days } });
    return { days };
  });
}

export async function getRetention(ctx: ServiceContext, organisationId: string): Promise<{ days: number | null }> {
  const [row] = await ctx.db.select({ days: organisations.recordingRetentionDays }).from(organisations).where(eq(organisations.id, organisationId));
  if (!row) throw notFound('organisation');
  return { days: row.days };
}

export const retentionJob = 'recording-retention';

/** The daily retention job (pg-boss: once per tick across the cluster, retried on failure). */
export async function scheduleRetention(ctx: ServiceContext, filesDir: string, jobs: JobQueue, log: JobLog, cron = '17 3 * * *'): Promise<void> {
  await jobs.define<object>({
    name: retentionJob,
    run: async () => {
      const deleted = await applyRetention(ctx, filesDir);
      if (deleted > 0) log.warn({ deleted }, 'recordings past retention deleted');
    },
    retryLimit: 3,
    retryDelaySeconds: 300,
    retryDelayMaxSeconds: 3600,
    expireInSeconds: 3600,
  });
  await jobs.every(retentionJob, cron);
}
