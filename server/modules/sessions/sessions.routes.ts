import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  participantInputSchema,
  participantListSchema,
  participantViewSchema,
  sessionCreateSchema,
  sessionListSchema,
  sessionTransitionSchema,
  sessionViewSchema,
} from '../../../shared/api/sessions.ts';
import { caseIdSchema, participantIdSchema, sessionIdSchema } from '../../../shared/ids.ts';
import { requireStaff } from '../../access/principal.ts';
import type { AccessEffects } from './access-effects.ts';
import * as service from './sessions.service.ts';

const caseParams = z.object({ caseId: caseIdSchema });
const participantParams = caseParams.extend({ participantId: participantIdSchema });
const sessionParams = z.object({ sessionId: sessionIdSchema });

export const sessionsRoutes: FastifyPluginAsyncZod<{ effects: AccessEffects }> = async (app, { effects }) => {
  app.get('/cases/:caseId/sessions', { schema: { tags: ['sessions'], params: caseParams, response: { 200: sessionListSchema } } }, (request) =>
    service.listSessions(app.ctx, requireStaff(request), request.params.caseId),
  );

  app.post(
    '/cases/:caseId/sessions',
    { schema: { tags: ['sessions'], params: caseParams, body: sessionCreateSchema, response: { 201: sessionViewSchema } } },
    async (request, reply) => reply.code(201).send(await service.scheduleSession(app.ctx, requireStaff(request, ['mediator']), request.params.caseId, request.body)),
  );

  app.get('/sessions/:sessionId', { schema: { tags: ['sessions'], params: sessionParams, response: { 200: sessionViewSchema } } }, (request) =>
    service.getSession(app.ctx, requireStaff(request), request.params.sessionId),
  );

  app.post(
    '/sessions/:sessionId/transitions',
    { schema: { tags: ['sessions'], params: sessionParams, body: sessionTransitionSchema, response: { 200: sessionViewSchema } } },
    async (request) => {
      const view = await service.transitionSession(app.ctx, requireStaff(request, ['mediator']), request.params.sessionId, request.body.to);
      // After the commit: a live room of an ended session must not keep its router (and people) forever.
      if (view.status === 'ended' || view.status === 'cancelled') await effects.sessionClosed(request.params.sessionId);
      return view;
    },
  );

  app.get('/cases/:caseId/participants', { schema: { tags: ['participants'], params: caseParams, response: { 200: participantListSchema } } }, (request) =>
    service.listParticipants(app.ctx, requireStaff(request), request.params.caseId),
  );

  app.post(
    '/cases/:caseId/participants',
    { schema: { tags: ['participants'], params: caseParams, body: participantInputSchema, response: { 201: participantViewSchema } } },
    async (request, reply) => reply.code(201).send(await service.addParticipant(app.ctx, requireStaff(request, ['mediator']), request.params.caseId, request.body)),
  );

  app.delete('/cases/:caseId/participants/:participantId', { schema: { tags: ['participants'], params: participantParams } }, async (request, reply) => {
    await service.removeParticipant(app.ctx, effects, requireStaff(request, ['mediator']), request.params.caseId, request.params.participantId);
    return reply.code(204).send();
  });
};
