import type { ServiceContext } from '../../context.ts';
import type { JobQueue } from '../../jobs/job-queue.ts';
import type { Timestamper } from '../../security/timestamp-authority.ts';
import * as agreementsRepo from '../agreements/agreements.repository.ts';
import * as confirmationsRepo from '../confirmations/confirmations.repository.ts';
import type { SealRegistry } from '../seals/seals.service.ts';
import { issueRuling } from './issue-ruling.ts';
import { sealAgreement } from './seal-agreement.ts';

/** A seal that fails (a full disk, the database restarting) is tried again after 5 s, 10 s, 20 s … up to 10 min, 20 times. */
const sealRetry = { retryLimit: 20, retryDelaySeconds: 5, retryDelayMaxSeconds: 600, expireInSeconds: 300 };

/**
 * Sealing runs as background jobs (server/jobs) queued after the commit that collected the last
 * signature (or recorded a ruling): the PDF is rendered, signed with the certificate of the
 * organisation that issues it (the center for an agreement, the court for a ruling), timestamped
 * by the TSA when one is configured, stored, and recorded in one transaction. A failed job (the
 * TSA down, say) is retried with backoff on whichever node is up; a job is queued once per
 * agreement or ruling, and its work is idempotent, so an agreement is sealed exactly once however
 * many nodes run. A sweep every five minutes (and at start) queues anything signed or ruled on
 * that has no job, e.g. when the process died between the commit and queueing the job.
 */
export async function createSealer(
  ctx: ServiceContext,
  seals: SealRegistry,
  log: { error(obj: object, msg?: string): void },
  /** After a commit that sealed an agreement or attached a ruling: tell live rooms (co-review). */
  changed: (caseId: string, agreementId: string) => void,
  jobs: JobQueue,
  /** RFC 3161 client (PAdES B-T); unset: seals carry no trusted time. */
  timestamp?: Timestamper,
) {
  const deps = { ctx, seals, timestamp, changed };

  const queue = (name: string, data: Record<string, string>, key: string) =>
    jobs.send(name, data, key).catch((err: unknown) => log.error({ err, ...data }, `could not queue ${name}; the next sweep queues it`));

  /** Queues every agreement waiting for its seal and every ruling waiting for its document. */
  async function sweep() {
    for (const a of await agreementsRepo.listSignedIds(ctx.db)) await queue('seal-agreement', { agreementId: a.id }, a.id);
    const rulings = await confirmationsRepo.listWithoutRulingDocument(ctx.db);
    for (const c of rulings) if (c.rulingNumber && (c.status === 'confirmed' || c.status === 'rejected')) await queue('issue-ruling', { confirmationId: c.id }, c.id);
  }

  await jobs.define<{ agreementId: string }>({ name: 'seal-agreement', run: ({ agreementId }) => sealAgreement(deps, agreementId), ...sealRetry });
  await jobs.define<{ confirmationId: string }>({ name: 'issue-ruling', run: ({ confirmationId }) => issueRuling(deps, confirmationId), ...sealRetry });
  await jobs.define({ name: 'sealing-sweep', run: sweep, retryLimit: 0, retryDelaySeconds: 60, retryDelayMaxSeconds: 60, expireInSeconds: 120 });
  await jobs.every('sealing-sweep', '*/5 * * * *');

  return {
    sealAgreement: (agreementId: string) => queue('seal-agreement', { agreementId }, agreementId),
    issueRuling: (confirmationId: string) => queue('issue-ruling', { confirmationId }, confirmationId),
    /** Resolves when no sealing job is ready or running. */
    idle: () => jobs.idle(),
    /** Queues what a crash or restart left unsealed (also runs every five minutes). */
    resumePending: sweep,
  };
}

export type Sealer = Awaited<ReturnType<typeof createSealer>>;
