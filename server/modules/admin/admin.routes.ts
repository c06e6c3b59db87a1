import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { adminOrganisationViewSchema, auditVerificationSchema, organisationListSchema, sealInstallSchema, sealListSchema, sealViewSchema, staffUserCreateSchema, staffUserListSchema, staffUserUpdateSchema, staffUserViewSchema } from '../../../shared/api/admin.ts';
import { organisationPlacementSchema } from '../../../shared/api/transfers.ts';
import { organisationInputSchema } from '../../../shared/domain/organisations.ts';
import { organisationIdSchema, staffUserIdSchema } from '../../../shared/ids.ts';
import { verifyChain } from '../audit/audit.repository.ts';
import type { TsaTrustList } from '../../documents/tsa-trust.ts';
import { verifyAnchors } from '../audit/anchoring.ts';
import { ensureDefault, installSeal, listSeals } from '../seals/seals.service.ts';
import { getRetention, setRetention } from '../recordings/recording-deletion.ts';
import { recordingRetentionSchema } from '../../../shared/api/recordings.ts';
import { requireStaff } from '../../access/principal.ts';
import * as service from './admin.service.ts';

const tags = ['admin'];
const admin = ['admin'] as const;

export const adminRoutes: FastifyPluginAsyncZod<{ tsaTrust: TsaTrustList | null }> = async (app, { tsaTrust }) => {
  app.get('/admin/organisations', { schema: { tags, response: { 200: organisationListSchema } } }, (request) => {
    requireStaff(request, admin);
    return service.listOrganisations(app.ctx);
  });

  app.post('/admin/organisations', { schema: { tags, body: organisationInputSchema, response: { 201: adminOrganisationViewSchema } } }, async (request, reply) => {
    const created = await service.createOrganisation(app.ctx.db, requireStaff(request, admin), request.body);
    // After commit: the new organisation's test seal (else made when it first seals).
    await ensureDefault(app.ctx, created.id).catch((err: unknown) => request.log.error({ err, organisationId: created.id }, 'could not create the test seal'));
    return reply.code(201).send(created);
  });

  app.put(
    '/admin/organisations/:organisationId/placement',
    { schema: { tags, params: z.object({ organisationId: organisationIdSchema }), body: organisationPlacementSchema, response: { 200: adminOrganisationViewSchema } } },
    (request) => service.placeOrganisation(app.ctx, requireStaff(request, admin), request.params.organisationId, request.body),
  );

  app.get(
    '/admin/organisations/:organisationId/seals',
    { schema: { tags, params: z.object({ organisationId: organisationIdSchema }), response: { 200: sealListSchema } } },
    (request) => {
      requireStaff(request, admin);
      return listSeals(app.ctx, request.params.organisationId);
    },
  );

  app.post(
    '/admin/organisations/:organisationId/seals',
    { schema: { tags, params: z.object({ organisationId: organisationIdSchema }), body: sealInstallSchema, response: { 201: sealViewSchema } } },
    async (request, reply) => reply.code(201).send(await installSeal(app.ctx, requireStaff(request, admin), request.params.organisationId, request.body)),
  );

  // How long the organisation's recordings are kept (days after they stop; null: until deleted by hand).
  app.get(
    '/admin/organisations/:organisationId/recording-retention',
    { schema: { tags, params: z.object({ organisationId: organisationIdSchema }), response: { 200: recordingRetentionSchema } } },
    (request) => {
      requireStaff(request, admin);
      return getRetention(app.ctx, request.params.organisationId);
    },
  );

  app.put(
    '/admin/organisations/:organisationId/recording-retention',
    { schema: { tags, params: z.object({ organisationId: organisationIdSchema }), body: recordingRetentionSchema, response: { 200: recordingRetentionSchema } } },
    (request) => setRetention(app.ctx, requireStaff(request, admin), request.params.organisationId, request.body.days),
  );

  app.get('/admin/staff-users', { schema: { tags, response: { 200: staffUserListSchema } } }, (request) => {
    requireStaff(request, admin);
    return service.listStaffUsers(app.ctx);
  });

  app.post('/admin/staff-users', { schema: { tags, body: staffUserCreateSchema, response: { 201: staffUserViewSchema } } }, async (request, reply) =>
    reply.code(201).send(await service.createStaffUser(app.ctx.db, requireStaff(request, admin), request.body)),
  );

  app.patch(
    '/admin/staff-users/:staffUserId',
    { schema: { tags, params: z.object({ staffUserId: staffUserIdSchema }), body: staffUserUpdateSchema, response: { 200: staffUserViewSchema } } },
    async (request) => {
      const view = await service.updateStaffUser(app.ctx, requireStaff(request, admin), request.params.staffUserId, request.body);
      // A new password from an admin also lifts a lock from wrong guesses: the way back in without waiting.
      if (request.body.password !== undefined) await app.limits.guessing.clearLoginFailures(view.username);
      return view;
    },
  );

  app.get('/admin/audit/verify', { schema: { tags, response: { 200: auditVerificationSchema } } }, async (request) => {
    requireStaff(request, admin);
    const result = await verifyChain(app.ctx.db);
    const anchors = await verifyAnchors(app.ctx.db, tsaTrust);
    return { ok: result.firstBroken === null && anchors.firstBroken === null, ...result, anchors };
  });
};
