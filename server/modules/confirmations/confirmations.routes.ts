import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { confirmationDetailSchema, confirmationQueueSchema, courtDecisionSchema, courtReasonSchema, hearingRequestSchema } from '../../../shared/api/agreements.ts';
import { confirmationStatuses } from '../../../shared/domain/agreements.ts';
import { requireStaff } from '../../access/principal.ts';
import * as service from './confirmations.service.ts';

const tags = ['court'];
const params = z.object({ confirmationId: z.uuid() });
const court = ['clerk', 'judge'] as const;

export const confirmationsRoutes: FastifyPluginAsyncZod<{ effects: service.ConfirmationEffects }> = async (app, { effects }) => {
  app.get(
    '/court/confirmations',
    { schema: { tags, querystring: z.object({ status: z.enum(confirmationStatuses).optional() }), response: { 200: confirmationQueueSchema } } },
    (request) => service.courtQueue(app.ctx, requireStaff(request, court), request.query.status),
  );

  app.get('/confirmations/:confirmationId', { schema: { tags, params, response: { 200: confirmationDetailSchema } } }, (request) =>
    service.getConfirmation(app.ctx, requireStaff(request, ['mediator', 'clerk', 'judge']), request.params.confirmationId),
  );

  app.post('/confirmations/:confirmationId/accept', { schema: { tags, params, response: { 200: confirmationDetailSchema } } }, (request) =>
    service.accept(app.ctx, requireStaff(request, court), request.params.confirmationId),
  );

  app.post('/confirmations/:confirmationId/not-accept', { schema: { tags, params, body: courtReasonSchema, response: { 200: confirmationDetailSchema } } }, (request) =>
    service.notAccept(app.ctx, requireStaff(request, court), request.params.confirmationId, request.body.reason),
  );

  app.post('/confirmations/:confirmationId/review', { schema: { tags, params, response: { 200: confirmationDetailSchema } } }, (request) =>
    service.startReview(app.ctx, requireStaff(request, court), request.params.confirmationId),
  );

  app.post('/confirmations/:confirmationId/extend', { schema: { tags, params, body: courtReasonSchema, response: { 200: confirmationDetailSchema } } }, (request) =>
    service.extend(app.ctx, requireStaff(request, court), request.params.confirmationId, request.body.reason),
  );

  app.post('/confirmations/:confirmationId/hearing', { schema: { tags, params, body: hearingRequestSchema, response: { 200: confirmationDetailSchema } } }, (request) =>
    service.scheduleHearing(app.ctx, requireStaff(request, court), request.params.confirmationId, request.body),
  );

  app.post('/confirmations/:confirmationId/decide', { schema: { tags, params, body: courtDecisionSchema, response: { 200: confirmationDetailSchema } } }, (request) =>
    service.decide(app.ctx, effects, requireStaff(request, court), request.params.confirmationId, request.body.decision, request.body.reason),
  );
};
