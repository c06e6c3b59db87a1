import type { ConfirmationSummary } from '../../../shared/api/agreements.ts';
import { daysLeft } from '../../../shared/beijing-time.ts';
import type { ServiceContext } from '../../context.ts';
import type { ConfirmationRow } from './confirmations.repository.ts';

export function confirmationSummary(ctx: Pick<ServiceContext, 'now' | 'urls'>, row: ConfirmationRow): ConfirmationSummary {
  const now = ctx.now();
  return {
    id: row.id,
    status: row.status,
    courtCode: row.courtCode,
    filedAt: row.filedAt.toISOString(),
    acceptBy: { at: row.acceptBy.toISOString(), daysLeft: daysLeft(row.acceptBy, now) },
    ruleBy: row.ruleBy ? { at: row.ruleBy.toISOString(), daysLeft: daysLeft(row.ruleBy, now) } : null,
    extended: row.extended,
    reason: row.reason,
    rulingNumber: row.rulingNumber,
    rulingDocument: row.rulingDocument ? { id: row.rulingDocument.id, sha256: row.rulingDocument.sha256, url: ctx.urls.sign(`/api/documents/${row.rulingDocument.id}/pdf`, 4 * 3600) } : null,
    hearingSessionId: row.hearingSessionId,
  };
}
