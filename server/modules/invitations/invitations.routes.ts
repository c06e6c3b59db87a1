import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  invitationCreateSchema,
  invitationListSchema,
  invitationViewSchema,
  issuedInvitationSchema,
  joinContextSchema,
  joinResolveRequestSchema,
} from '../../../shared/api/sessions.ts';
import { invitationIdSchema, sessionIdSchema } from '../../../shared/ids.ts';
import { AppError } from '../../errors.ts';
import { requireStaff } from '../../access/principal.ts';
import type { AccessEffects } from '../sessions/access-effects.ts';
import type { NotificationEffects } from '../notifications/notifications.service.ts';
import * as service from './invitations.service.ts';

const tags = ['invitations'];
/** Mediators for their center's sessions; clerks and judges for their court's hearings (the service decides by session). */
const inviters = ['mediator', 'clerk', 'judge'] as const;

export const invitationsRoutes: FastifyPluginAsyncZod<{ effects: AccessEffects; notifications: NotificationEffects }> = async (app, { effects, notifications }) => {
  app.get(
    '/sessions/:sessionId/invitations',
    { schema: { tags, params: z.object({ sessionId: sessionIdSchema }), response: { 200: invitationListSchema } } },
    (request) => service.listInvitations(app.ctx, requireStaff(request), request.params.sessionId),
  );

  app.post(
    '/sessions/:sessionId/invitations',
    { schema: { tags, params: z.object({ sessionId: sessionIdSchema }), body: invitationCreateSchema, response: { 201: issuedInvitationSchema } } },
    async (request, reply) => reply.code(201).send(await service.issueInvitation(app.ctx, requireStaff(request, inviters), request.params.sessionId, request.body, `${request.protocol}://${request.host}`, notifications)),
  );

  app.post(
    '/invitations/:invitationId/revoke',
    { schema: { tags, params: z.object({ invitationId: invitationIdSchema }), response: { 200: invitationViewSchema } } },
    (request) => service.revokeInvitation(app.ctx, effects, requireStaff(request, inviters), request.params.invitationId),
  );

  // Public: the token itself is the credential. Rate-limited against guessing (2^256 anyway).
  app.post(
    '/join/resolve',
    { schema: { tags: ['join'], body: joinResolveRequestSchema, response: { 200: joinContextSchema } }, config: { rateLimit: { max: 60, timeWindow: '1 minute' } } },
    async (request) => {
      await app.limits.guessing.assertTokenAllowed(request.ip);
      return service.resolveInvitation(app.ctx, request.body.token).catch(async (error: unknown) => {
        if (error instanceof AppError && error.code === 'NOT_FOUND') await app.limits.guessing.tokenFailed(request.ip);
        throw error;
      });
    },
  );
};
