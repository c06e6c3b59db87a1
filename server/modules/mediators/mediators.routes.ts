import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  assignMediatorsSchema,
  caseMediatorsSchema,
  mediatorChoiceRequestSchema,
  mediatorProfileInputSchema,
  mediatorProfileListSchema,
  mediatorProfileSchema,
  partyRosterSchema,
} from '../../../shared/api/mediators.ts';
import { maxPhotoBytes, photoContentTypes } from '../../../shared/domain/mediators.ts';
import { caseIdSchema, staffUserIdSchema } from '../../../shared/ids.ts';
import { requireCaller } from '../../access/caller.ts';
import { requireStaff } from '../../access/principal.ts';
import { AppError, forbidden } from '../../errors.ts';
import type { NotificationEffects } from '../notifications/notifications.service.ts';
import * as service from './mediators.service.ts';

const tags = ['mediators'];
const caseParams = z.object({ caseId: caseIdSchema });
const staffParams = z.object({ staffUserId: staffUserIdSchema });

/** A participant acting through their invitation link; staff use the case's own routes. */
function requireParticipant(request: Parameters<typeof requireCaller>[0]) {
  const caller = requireCaller(request);
  if (caller.kind !== 'participant') throw forbidden('parties choose their mediator through their invitation link');
  return caller.participant;
}

export const mediatorsRoutes: FastifyPluginAsyncZod<{ notifications: NotificationEffects }> = async (app, { notifications }) => {
  // Only the photo route takes image bodies (the plugin is encapsulated); the type is decided from the bytes.
  app.addContentTypeParser([...photoContentTypes], { parseAs: 'buffer', bodyLimit: maxPhotoBytes }, (_request, body, done) => done(null, body));

  app.get('/cases/:caseId/mediators', { schema: { tags, params: caseParams, response: { 200: caseMediatorsSchema } } }, (request) =>
    service.getCaseMediators(app.ctx, requireStaff(request), request.params.caseId),
  );

  app.put('/cases/:caseId/mediators', { schema: { tags, params: caseParams, body: assignMediatorsSchema, response: { 200: caseMediatorsSchema } } }, (request) =>
    service.assignMediators(app.ctx, notifications, requireStaff(request), request.params.caseId, request.body),
  );

  app.get('/cases/:caseId/mediator-roster', { schema: { tags, params: caseParams, response: { 200: partyRosterSchema } } }, (request) =>
    service.partyRoster(app.ctx, requireParticipant(request), request.params.caseId),
  );

  app.post(
    '/cases/:caseId/mediator-choice',
    { schema: { tags, params: caseParams, body: mediatorChoiceRequestSchema, response: { 200: partyRosterSchema } }, config: { rateLimit: { max: 20, timeWindow: '1 minute' } } },
    (request) => service.chooseMediator(app.ctx, requireParticipant(request), request.params.caseId, request.body.staffUserId),
  );

  app.get('/mediators', { schema: { tags, response: { 200: mediatorProfileListSchema } } }, (request) => service.listProfiles(app.ctx, requireStaff(request, ['mediator', 'admin'])));

  app.put('/mediators/:staffUserId/profile', { schema: { tags, params: staffParams, body: mediatorProfileInputSchema, response: { 200: mediatorProfileSchema } } }, (request) =>
    service.updateProfile(app.ctx, requireStaff(request, ['mediator', 'admin']), request.params.staffUserId, request.body),
  );

  app.put(
    '/mediators/:staffUserId/photo',
    { bodyLimit: maxPhotoBytes, schema: { tags, consumes: [...photoContentTypes], params: staffParams, response: { 200: mediatorProfileSchema } }, config: { rateLimit: { max: 20, timeWindow: '1 minute' } } },
    async (request) => {
      const p = requireStaff(request, ['mediator', 'admin']);
      if (!Buffer.isBuffer(request.body)) throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'send the photo itself as image/jpeg, image/png or image/webp', 'photo');
      return service.putPhoto(app.ctx, p, request.params.staffUserId, request.body);
    },
  );

  // The roster's <img> carries no credentials: a signed link (made for the roster), or the center's staff login.
  app.get(
    '/mediators/:staffUserId/photo',
    { schema: { tags, params: staffParams, querystring: z.object({ v: z.string().max(64).optional(), exp: z.string().optional(), sig: z.string().optional() }) } },
    async (request, reply) => {
      const signed = service.verifyPhotoLink(app.ctx, request.params.staffUserId, request.query.v, request.query.exp, request.query.sig);
      const photo = await service.readPhoto(app.ctx, signed ? null : requireStaff(request), request.params.staffUserId);
      return reply.header('Content-Type', photo.contentType).header('Cache-Control', 'private, max-age=3600').header('X-Content-Type-Options', 'nosniff').send(photo.bytes);
    },
  );
};
