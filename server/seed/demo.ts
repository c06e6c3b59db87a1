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
  /** The boat-owner room's mediator (registers small cases, escalates the hard ones). */
  village: { username: 'village', password: 'haiqiao-demo-2026' },
  /** The Fujian side's county center (Fuding), to hand cases across the border. */
  fuding: { username: 'fuding', password: 'haiqiao-demo-2026' },
};

/**
 * On an empty database: the two maritime courts and a two-province tree of mediation centers
 * under them, a mediator of the Cangnan county center, of a boat-owner room and of the Fuding
 * county center (to try escalating and handing over), a court clerk and judge (who accept and
 * rule on confirmation applications) and an admin, so a newcomer can try the whole chain at
 * once. Returns null if the database already has accounts.
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
  const xiamen = await createOrganisation(db, null, { kind: 'maritime_court', name: '厦门海事法院', courtCode: 'xiamen' });
  // The "136" levels, one county center on each side of the border: boat-owner mediation room →
  // town → county center → maritime court (Cangnan under Ningbo, Fuding under Xiamen).
  const center = (name: string, caseNumberPrefix: string, parentId: string, level: 'village' | 'town' | 'county') =>
    createOrganisation(db, null, { kind: 'mediation_center', name, caseNumberPrefix, parentId, level });
  const cangnan = await center('浙闽海上矛盾纠纷联调中心（演示）', '浙闽联调', ningbo.id, 'county');
  const xiaguan = await center('霞关镇调解委员会（演示）', '霞关调', cangnan.id, 'town');
  const village = await center('霞关船老大调解室（演示）', '船老大调', xiaguan.id, 'village');
  await center('马站镇调解委员会（演示）', '马站调', cangnan.id, 'town');
  const fuding = await center('福鼎市海上矛盾纠纷联调中心（演示）', '福鼎联调', xiamen.id, 'county');
  const shacheng = await center('沙埕镇调解委员会（演示）', '沙埕调', fuding.id, 'town');
  await center('沙埕船老大调解室（演示）', '沙埕船调', shacheng.id, 'village');
  await createStaffUser(db, null, { organisationId: cangnan.id as OrganisationId, username: demoLogins.mediator.username, displayName: '林调解员', role: 'mediator', password: demoLogins.mediator.password });
  await createStaffUser(db, null, { organisationId: ningbo.id as OrganisationId, username: demoLogins.clerk.username, displayName: '王书记员', role: 'clerk', password: demoLogins.clerk.password });
  await createStaffUser(db, null, { organisationId: ningbo.id as OrganisationId, username: demoLogins.judge.username, displayName: '赵法官', role: 'judge', password: demoLogins.judge.password });
  await createStaffUser(db, null, { organisationId: village.id as OrganisationId, username: demoLogins.village.username, displayName: '陈船老大', role: 'mediator', password: demoLogins.village.password });
  await createStaffUser(db, null, { organisationId: fuding.id as OrganisationId, username: demoLogins.fuding.username, displayName: '吴调解员', role: 'mediator', password: demoLogins.fuding.password });
  await createStaffUser(db, null, { organisationId: cangnan.id as OrganisationId, username: demoLogins.admin.username, displayName: '系统管理员', role: 'admin', password: demoLogins.admin.password });
  return demoLogins;
}
