import type { AdminOrganisationView, StaffUserCreate, StaffUserUpdate, StaffUserView } from '../../../shared/api/admin.ts';
import { rolesForOrganisation, type OrganisationInput } from '../../../shared/domain/organisations.ts';
import type { OrganisationPlacement } from '../../../shared/api/transfers.ts';
import { placementRefusal } from '../../../shared/domain/transfers.ts';
import type { ServiceContext } from '../../context.ts';
import type { Db } from '../../db/client.ts';
import { conflict, invalid, notFound } from '../../errors.ts';
import { hashPassword } from '../../security/passwords.ts';
import { appendAuditEvent } from '../audit/audit.repository.ts';
import { type Principal, staffActor } from '../../access/principal.ts';
import * as repo from './admin.repository.ts';

export function organisationView(row: repo.OrganisationRow): AdminOrganisationView {
  return {
    id: row.id,
    kind: row.kind,
    name: row.name,
    caseNumberPrefix: row.caseNumberPrefix,
    courtCode: row.courtCode as AdminOrganisationView['courtCode'],
    parentId: row.parentId,
    level: row.level,
    dutyPhone: row.dutyPhone,
  };
}

export function staffUserView(row: repo.StaffUserRow): StaffUserView {
  return {
    id: row.id,
    organisationId: row.organisationId,
    username: row.username,
    displayName: row.displayName,
    role: row.role,
    active: row.active,
    centerHead: row.centerHead,
    createdAt: row.createdAt.toISOString(),
  };
}

export async function listOrganisations(ctx: ServiceContext) {
  return { items: (await repo.listOrganisations(ctx.db)).map(organisationView) };
}

export async function createOrganisation(db: Db, actor: Principal | null, input: OrganisationInput) {
  return db.transaction(async (tx) => {
    if (input.parentId) {
      const parent = await repo.findOrganisation(tx, input.parentId);
      if (!parent) throw invalid('parentId', 'no such organisation');
      const refusal = placementRefusal({ kind: input.kind, level: input.level ?? null }, parent);
      if (refusal) throw invalid('parentId', refusal);
    }
    const row = await repo.insertOrganisation(tx, {
      kind: input.kind,
      name: input.name,
      caseNumberPrefix: input.caseNumberPrefix ?? null,
      courtCode: input.courtCode ?? null,
      parentId: input.parentId ?? null,
      level: input.level ?? null,
    });
    await appendAuditEvent(tx, {
      type: 'organisation.created',
      actor: actor ? staffActor(actor) : { kind: 'system' },
      data: { organisationId: row.id, kind: row.kind, name: row.name },
    });
    return organisationView(row);
  });
}

/**
 * An admin sets where an organisation stands: its parent (none at the top) and, for a center, its
 * level. Refused: an unknown parent, the organisation itself or one below it as parent (a cycle),
 * a parent that may not stand above it, or a level that no longer fits its parent or the
 * organisations below it. The tree is locked for the check and the change; audited.
 */
export async function placeOrganisation(ctx: ServiceContext, actor: Principal, organisationId: string, input: OrganisationPlacement) {
  return ctx.db.transaction(async (tx) => {
    await repo.lockTree(tx);
    const org = await repo.findOrganisation(tx, organisationId);
    if (!org) throw notFound('organisation');
    if (input.level && org.kind !== 'mediation_center') throw invalid('level', 'only mediation centers have a level');
    const moved = { kind: org.kind, level: input.level };
    if (input.parentId) {
      if ((await repo.subtreeIds(tx, organisationId)).includes(input.parentId)) throw invalid('parentId', 'an organisation cannot sit under itself or one below it');
      const parent = await repo.findOrganisation(tx, input.parentId);
      if (!parent) throw invalid('parentId', 'no such organisation');
      const refusal = placementRefusal(moved, parent);
      if (refusal) throw invalid('parentId', refusal);
    }
    for (const child of await repo.childrenOf(tx, organisationId)) {
      const refusal = placementRefusal(child, moved);
      if (refusal) throw invalid('level', `${child.name}: ${refusal}`);
    }
    const row = await repo.updateOrganisation(tx, organisationId, {
      parentId: input.parentId,
      level: input.level,
      ...(input.dutyPhone !== undefined ? { dutyPhone: input.dutyPhone } : {}),
    });
    if (org.parentId !== row.parentId || org.level !== row.level) {
      await appendAuditEvent(tx, {
        type: 'organisation.placed',
        actor: staffActor(actor),
        data: { organisationId, parentId: row.parentId, level: row.level, previousParentId: org.parentId, previousLevel: org.level },
      });
    }
    if (org.dutyPhone !== row.dutyPhone) {
      await appendAuditEvent(tx, { type: 'organisation.updated', actor: staffActor(actor), data: { organisationId, fields: ['dutyPhone'] } });
    }
    return organisationView(row);
  });
}

export async function listStaffUsers(ctx: ServiceContext) {
  return { items: (await repo.listStaffUsers(ctx.db)).map(staffUserView) };
}

async function assertRoleFits(db: Db, organisationId: string, role: StaffUserCreate['role'], field: string) {
  const org = await repo.findOrganisation(db, organisationId);
  if (!org) throw invalid('organisationId', 'no such organisation');
  if (!rolesForOrganisation[org.kind].includes(role)) throw invalid(field, `a ${org.kind} has no ${role}`);
}

export async function createStaffUser(db: Db, actor: Principal | null, input: StaffUserCreate) {
  const passwordHash = await hashPassword(input.password);
  return db.transaction(async (tx) => {
    await assertRoleFits(tx, input.organisationId, input.role, 'role');
    if (input.centerHead && input.role !== 'mediator') throw invalid('centerHead', 'a center’s head is one of its mediators');
    const row = await repo.insertStaffUser(tx, {
      centerHead: input.centerHead ?? false,
      organisationId: input.organisationId,
      username: input.username,
      displayName: input.displayName,
      role: input.role,
      passwordHash,
    });
    await appendAuditEvent(tx, {
      type: 'staff_user.created',
      actor: actor ? staffActor(actor) : { kind: 'system' },
      data: { staffUserId: row.id, username: row.username, role: row.role, organisationId: row.organisationId },
    });
    return staffUserView(row);
  });
}

export async function updateStaffUser(ctx: ServiceContext, actor: Principal, id: string, input: StaffUserUpdate) {
  const passwordHash = input.password ? await hashPassword(input.password) : undefined;
  return ctx.db.transaction(async (tx) => {
    const existing = await repo.findStaffUser(tx, id);
    if (!existing) throw notFound('staff user');
    if (id === actor.staffUserId && (input.active === false || (input.role && input.role !== 'admin'))) {
      throw conflict('you cannot deactivate or demote your own account');
    }
    if (input.role) await assertRoleFits(tx, existing.organisationId, input.role, 'role');
    if ((input.centerHead ?? existing.centerHead) && (input.role ?? existing.role) !== 'mediator') throw invalid('centerHead', 'a center’s head is one of its mediators');
    const { password: _password, ...fields } = input;
    const row = await repo.updateStaffUser(tx, id, { ...fields, ...(passwordHash ? { passwordHash } : {}) });
    await appendAuditEvent(tx, {
      type: passwordHash && Object.keys(fields).length === 0 ? 'staff_user.password_changed' : 'staff_user.updated',
      actor: staffActor(actor),
      data: { staffUserId: id, fields: Object.keys(input).sort() },
    });
    return staffUserView(row!);
  });
}
