import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { signingCodes, signingIdentityFailures } from '../../db/schema/index.ts';

const key = (agreementId: string, participantId: string) =>
  and(eq(signingIdentityFailures.agreementId, agreementId), eq(signingIdentityFailures.participantId, participantId));

/** Wrong answers so far by this signer for this agreement (none: zeros). */
export async function failuresOf(db: Db, agreementId: string, participantId: string) {
  const [row] = await db.select().from(signingIdentityFailures).where(key(agreementId, participantId));
  return { idDigitFailures: row?.idDigitFailures ?? 0, codeFailures: row?.codeFailures ?? 0 };
}

/** Counts one more wrong answer of this kind, never past `max`; returns the new count. */
export async function noteFailure(
  db: Db,
  agreementId: string,
  participantId: string,
  kind: 'idDigits' | 'code',
  max: number,
  now: Date,
) {
  const column = kind === 'idDigits' ? signingIdentityFailures.idDigitFailures : signingIdentityFailures.codeFailures;
  const field = kind === 'idDigits' ? 'idDigitFailures' : 'codeFailures';
  const [row] = await db
    .insert(signingIdentityFailures)
    .values({ agreementId, participantId, [field]: 1, updatedAt: now })
    .onConflictDoUpdate({
      target: [signingIdentityFailures.agreementId, signingIdentityFailures.participantId],
      set: { [field]: sql`least(${column} + 1, ${max})`, updatedAt: now },
    })
    .returning();
  return row![field];
}

/** A new code was issued: wrong guesses at earlier codes no longer count. */
export async function resetCodeFailures(db: Db, agreementId: string, participantId: string, now: Date) {
  await db
    .update(signingIdentityFailures)
    .set({ codeFailures: 0, updatedAt: now })
    .where(key(agreementId, participantId));
}

/** Too many wrong guesses: every code still open for this signer expires now. */
export async function voidOpenCodes(db: Db, agreementId: string, participantId: string, now: Date) {
  await db
    .update(signingCodes)
    .set({ expiresAt: now })
    .where(
      and(
        eq(signingCodes.agreementId, agreementId),
        eq(signingCodes.participantId, participantId),
        isNull(signingCodes.usedAt),
        sql`${signingCodes.expiresAt} > ${now.toISOString()}`,
      ),
    );
}
