import { sql } from 'drizzle-orm';
import { createOrganisation, createStaffUser } from '../../server/modules/admin/admin.service.ts';
import type { OrganisationId } from '../../shared/ids.ts';
import { login, testPassword, type TestWorld } from './test-app.ts';

/**
 * A two-province tree under the world's courts: Cangnan county center (under Ningbo) → Xiaguan
 * town → Xiaguan boat-owner room; Fuding county center (under Xiamen) → Shacheng town. One
 * mediator each, logged in; the Cangnan center and the village room have duty phones.
 */
export async function orgTree(world: TestWorld) {
  const db = world.database.db;
  const center = (name: string, prefix: string, parentId: string, level: 'village' | 'town' | 'county') =>
    createOrganisation(db, null, { kind: 'mediation_center', name, caseNumberPrefix: prefix, parentId, level });
  const cangnan = await center('苍南县海上联调中心', '苍调', world.orgs.ningbo, 'county');
  const fuding = await center('福鼎市海上联调中心', '福调', world.orgs.xiamen, 'county');
  const xiaguan = await center('霞关镇调解委员会', '霞调', cangnan.id, 'town');
  const shacheng = await center('沙埕镇调解委员会', '沙调', fuding.id, 'town');
  const village = await center('霞关船老大调解室', '船调', xiaguan.id, 'village');
  await db.execute(sql`update organisations set duty_phone = '13800000001' where id = ${cangnan.id}`);
  await db.execute(sql`update organisations set duty_phone = '13800000002' where id = ${village.id}`);
  const orgs = { cangnan: cangnan.id, fuding: fuding.id, xiaguan: xiaguan.id, shacheng: shacheng.id, village: village.id };
  const cookies = {} as Record<keyof typeof orgs, string>;
  const staffIds = {} as Record<keyof typeof orgs, string>;
  for (const [index, [key, id]] of Object.entries(orgs).entries()) {
    const username = `m-${key}`;
    const user = await createStaffUser(db, null, { organisationId: id as OrganisationId, username, displayName: `${key}调解员`, role: 'mediator', password: testPassword });
    staffIds[key as keyof typeof orgs] = user.id;
    cookies[key as keyof typeof orgs] = await login(world.app, username, testPassword, `198.51.100.${50 + index}`);
  }
  return { orgs, cookies, staffIds };
}
