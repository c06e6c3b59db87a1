import type { StaffUserCreate, StaffUserUpdate, StaffUserView } from '../../../shared/api/admin.ts';
import type { OrganisationView } from '../../../shared/api/auth.ts';
import { rolesForOrganisation, type OrganisationInput } from '../../../shared/domain/organisations.ts';
import type { ServiceContext } from '../../context.ts';
import type { Db } from '../../db/client.ts';
import { conflict, invalid, notFound } from '../../errors.ts';
import { hashPassword } from '../../security/passwords.ts';
import { appendAuditEvent } from '../audit/audit.repository.ts';
import { type Principal, staffActor } from '../../access/principal.ts';
import * as repo from './admin.repository.ts';

export function organisationView(row: repo.OrganisationRow): OrganisationView {
  return { id: row.id, kind: row.kind, name: row.name, caseNumberPrefix: row.caseNumberPrefix, courtCode: row.courtCode as OrganisationView['courtCode'] };
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
    if (input.parentId && !(await repo.findOrganisation(tx, input.parentId))) throw invalid('parentId', 'no such organisation');
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
