import { count } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { staffUsers } from '../db/schema/index.ts';
import type { OrganisationId } from '../../shared/ids.ts';
import { createOrganisation, createStaffUser } from '../modules/admin/admin.service.ts';

export const demoLogins = {
  mediator: { username: 'mediator', password: 'haiqiao-demo-2026' },
  clerk: { username: 'clerk', password: 'haiqiao-demo-2026' },
  judge: { username: 'judge', password: 'haiqiao-demo-2026' },
  admin: { username: 'admin', password: 'haiqiao-demo-2026' },
};

/**
 * On an empty database: a demo mediation center, the two maritime courts, and a mediator, a
 * court clerk and judge (who accept and rule on confirmation applications) and an admin, so a
 * newcomer can try the whole chain at once. Returns null if the
 * database already has accounts.
 */
export function seedDemo(db: Db) {
  return db.transaction(async (tx) => {
    const [existing] = await tx.select({ n: count() }).from(staffUsers);
    if ((existing?.n ?? 0) > 0) return null;
    return seedInto(tx);
  });
}

async function seedInto(db: Db) {
  const ningbo = await createOrganisation(db, null, { kind: 'maritime_court', name: '宁波海事法院', courtCode: 'ningbo' });
  // The "136" levels under the court: county center → town → boat-owner mediation room.
  const center = await createOrganisation(db, null, { kind: 'mediation_center', name: '浙闽海上矛盾纠纷联调中心（演示）', caseNumberPrefix: '浙闽联调', parentId: ningbo.id, level: 'county' });
  const town = await createOrganisation(db, null, { kind: 'mediation_center', name: '霞关镇调解委员会（演示）', caseNumberPrefix: '霞关调', parentId: center.id, level: 'town' });
  await createOrganisation(db, null, { kind: 'mediation_center', name: '霞关船老大调解室（演示）', caseNumberPrefix: '船老大调', parentId: town.id, level: 'village' });
  await createOrganisation(db, null, { kind: 'maritime_court', name: '厦门海事法院', courtCode: 'xiamen' });
  await createStaffUser(db, null, { organisationId: center.id as OrganisationId, username: demoLogins.mediator.username, displayName: '林调解员', role: 'mediator', password: demoLogins.mediator.password });
  await createStaffUser(db, null, { organisationId: ningbo.id as OrganisationId, username: demoLogins.clerk.username, displayName: '王书记员', role: 'clerk', password: demoLogins.clerk.password });
  await createStaffUser(db, null, { organisationId: ningbo.id as OrganisationId, username: demoLogins.judge.username, displayName: '赵法官', role: 'judge', password: demoLogins.judge.password });
  await createStaffUser(db, null, { organisationId: center.id as OrganisationId, username: demoLogins.admin.username, displayName: '系统管理员', role: 'admin', password: demoLogins.admin.password });
  return demoLogins;
}
