import type { SignRequest } from '../../../shared/api/agreements.ts';
import type { ServiceContext } from '../../context.ts';
import type { Db } from '../../db/client.ts';
import { AppError } from '../../errors.ts';
import { constantTimeEqual, hashToken } from '../../security/tokens.ts';
import { actorOf, type Caller } from '../../access/caller.ts';
import { appendAuditEvent } from '../audit/audit.repository.ts';
import * as casesRepo from '../cases/cases.repository.ts';
import type { AgreementRow } from './agreements.repository.ts';
import { useSigningCode } from './agreements.repository.ts';
import * as repo from './signing-identity.repository.ts';

/**
 * The last four ID characters are a small space, so after this many misses only a one-time code
 * from the mediator will do; a code is six digits, void after this many wrong guesses.
 */
export const maxIdDigitFailures = 5;
export const maxCodeFailures = 5;

/**
 * Checks who is signing, inside the signing transaction (the agreement row is locked, so one
 * signer's attempts are taken one at a time). A miss is counted and audited in that transaction
 * and returned rather than thrown: the caller commits it and then refuses the signature, so the
 * count holds across retries, restarts and nodes.
 */
export async function checkSigningIdentity(
  tx: Db,
  ctx: ServiceContext,
  agreement: AgreementRow,
  caller: Caller & { kind: 'participant' },
  identity: SignRequest['identity'],
): Promise<AppError | null> {
  const p = caller.participant;
  const now = ctx.now();
  const missed = async (kind: 'idDigits' | 'code', max: number) => {
    const failures = await repo.noteFailure(tx, agreement.id, p.participantId, kind, max, now);
    const codeVoid = kind === 'code' && failures >= max;
    if (codeVoid) await repo.voidOpenCodes(tx, agreement.id, p.participantId, now);
    await appendAuditEvent(tx, {
      type: 'signature.identity_failed',
      caseId: agreement.caseId,
      actor: actorOf(caller),
      data: {
        agreementId: agreement.id,
        participantId: p.participantId,
        method: identity.method,
        failures,
        ...(kind === 'code' ? { codeVoid } : {}),
      },
    });
    return failures;
  };

  if (identity.method === 'one_time_code') {
    if (
      await useSigningCode(
        tx,
        agreement.id,
        p.participantId,
        hashToken(`${agreement.id}:${p.participantId}:${identity.code}`),
        now,
      )
    )
      return null;
    const { codeFailures } = await repo.failuresOf(tx, agreement.id, p.participantId);
    // Codes already voided by guessing: nothing more to count until the mediator issues a new one.
    if (codeFailures >= maxCodeFailures)
      return new AppError('IDENTITY_REJECTED', 'too many wrong codes: ask the mediator for a new one', 'identity.code');
    const failures = await missed('code', maxCodeFailures);
    return new AppError(
      'IDENTITY_REJECTED',
      failures >= maxCodeFailures
        ? 'too many wrong codes: ask the mediator for a new one'
        : 'the code is wrong or has expired; ask the mediator for a new one',
      'identity.code',
    );
  }

  const party =
    p.role === 'party' && p.partyId ? await casesRepo.findParty(tx, agreement.caseId, p.partyId) : undefined;
  if (!party?.idNumberCiphertext)
    return new AppError(
      'IDENTITY_REJECTED',
      'no ID number on file: ask the mediator for a one-time code',
      'identity.method',
    );
  const { idDigitFailures } = await repo.failuresOf(tx, agreement.id, p.participantId);
  if (idDigitFailures >= maxIdDigitFailures)
    return new AppError(
      'IDENTITY_REJECTED',
      'too many wrong attempts: ask the mediator for a one-time code',
      'identity.method',
    );
  const idNumber = ctx.cipher.decrypt(party.idNumberCiphertext);
  const normalise = (s: string) => s.replace(/\s+/g, '');
  if (
    constantTimeEqual(idNumber.slice(-4).toUpperCase(), identity.last4.toUpperCase()) &&
    normalise(party.name) === normalise(identity.name)
  )
    return null;
  const left = maxIdDigitFailures - (await missed('idDigits', maxIdDigitFailures));
  return new AppError(
    'IDENTITY_REJECTED',
    left > 0
      ? `the name or ID digits do not match our record (${left} attempts left)`
      : 'too many wrong attempts: ask the mediator for a one-time code',
    'identity.last4',
  );
}
