import { sql } from 'drizzle-orm';
import type { CompensationFiguresInput, CompensationFiguresView } from '../../../shared/api/compensation.ts';
import type { ServiceContext } from '../../context.ts';
import { forbidden } from '../../errors.ts';
import { appendAuditEvent } from '../audit/audit.repository.ts';
import type { Principal } from '../../access/principal.ts';
import * as repo from './compensation.repository.ts';

function view(row: repo.CompensationFiguresRow, current: boolean): CompensationFiguresView {
  return {
    id: row.id,
    province: row.province,
    year: row.year,
    version: row.version,
    current,
    urbanDisposableIncomeFen: row.urbanDisposableIncomeFen,
    urbanDisposableIncomeSource: row.urbanDisposableIncomeSource,
    urbanConsumptionFen: row.urbanConsumptionFen,
    urbanConsumptionSource: row.urbanConsumptionSource,
    averageWageFen: row.averageWageFen,
    averageWageSource: row.averageWageSource,
    createdAt: row.createdAt.toISOString(),
  };
}

/** Every version of every year, newest first; `current` marks the version in force. */
export async function listFigures(ctx: ServiceContext, p: Principal) {
  if (!['mediator', 'clerk', 'judge', 'admin'].includes(p.role)) throw forbidden();
  const rows = await repo.listFigures(ctx.db);
  const seen = new Set<string>();
  return {
    items: rows.map((row) => {
      const key = `${row.province}:${row.year}`;
      const current = !seen.has(key);
      seen.add(key);
      return view(row, current);
    }),
  };
}

/** A year's figures, or a corrected version of them (the old version stays, for the record). */
export async function addFigures(ctx: ServiceContext, p: Principal, input: CompensationFiguresInput) {
  if (p.role !== 'admin') throw forbidden('admins keep the statistics');
  return ctx.db.transaction(async (tx) => {
    // Two admins adding the same year at once get consecutive versions, not a unique-key error.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`compensation:${input.province}:${input.year}`}))`);
    const version = (await repo.latestVersion(tx, input.province, input.year)) + 1;
    const row = await repo.insertFigures(tx, { ...input, version, createdBy: p.staffUserId });
    await appendAuditEvent(tx, {
      type: 'compensation.figures_added',
      actor: { kind: 'staff', staffUserId: p.staffUserId },
      data: { figuresId: row.id, province: row.province, year: row.year, version },
    });
    return view(row, true);
  });
}
