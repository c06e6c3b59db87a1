// A file is put before the transaction that records it. When that transaction fails the file
// is removed, so no file outlives its row and no row lacks its file. When the database went away
// mid-commit, whether the row exists is unknown until it answers again: the file is kept until
// then and removed only if no row claims it (an accepted write never loses its bytes).
import { eq } from 'drizzle-orm';
import type { ServiceContext } from '../../context.ts';
import { appraisalStatements, documents, evidence, signatures } from '../../db/schema/index.ts';
import { isDatabaseUnavailable } from '../../infrastructure-errors.ts';

/** Every column that holds a storage key. */
async function isClaimed(ctx: ServiceContext, key: string) {
  const claims = await Promise.all([
    ctx.db.select({ id: evidence.id }).from(evidence).where(eq(evidence.storageKey, key)).limit(1),
    ctx.db.select({ id: signatures.id }).from(signatures).where(eq(signatures.imageStorageKey, key)).limit(1),
    ctx.db.select({ id: appraisalStatements.evidenceId }).from(appraisalStatements).where(eq(appraisalStatements.signatureImageKey, key)).limit(1),
    ctx.db.select({ id: documents.id }).from(documents).where(eq(documents.storageKey, key)).limit(1),
  ]);
  return claims.some((rows) => rows.length > 0);
}

/** Settled files still waiting for the database (tests wait on these). */
const pending = new Set<Promise<void>>();

/** Removes `key` after its transaction failed with `error`, or once it is known no row claims it. */
export async function discardUnrecorded(ctx: ServiceContext, key: string, error: unknown, retry = { attempts: 120, delayMs: 500 }) {
  if (!isDatabaseUnavailable(error)) return ctx.files.remove(key);
  const settling = (async () => {
    for (let attempt = 0; attempt < retry.attempts; attempt++) {
      try {
        if (!(await isClaimed(ctx, key))) await ctx.files.remove(key);
        return;
      } catch (reason) {
        if (!isDatabaseUnavailable(reason)) throw reason;
        await new Promise((resolve) => setTimeout(resolve, retry.delayMs));
      }
    }
  })()
    .catch(() => {}) // kept: an unclaimed file is harmless, a claimed one lost is not
    .finally(() => pending.delete(settling));
  pending.add(settling);
}

/** Resolves when every file left in doubt by a database outage has been settled. */
export async function unclaimedFilesSettled() {
  while (pending.size) await Promise.all([...pending]);
}
