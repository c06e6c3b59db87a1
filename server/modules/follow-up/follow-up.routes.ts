import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { fulfilRequestSchema, obligationListSchema, overdueListSchema } from '../../../shared/api/agreements.ts';
import { caseIdSchema } from '../../../shared/ids.ts';
import { requireStaff } from '../../access/principal.ts';
import * as service from './follow-up.service.ts';

const tags = ['follow-up'];

export const followUpRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/cases/:caseId/obligations', { schema: { tags, params: z.object({ caseId: caseIdSchema }), response: { 200: obligationListSchema } } }, (request) =>
    service.listObligations(app.ctx, requireStaff(request), request.params.caseId),
  );

  app.post('/obligations/:obligationId/fulfil', { schema: { tags, params: z.object({ obligationId: z.uuid() }), body: fulfilRequestSchema, response: { 200: obligationListSchema } } }, (request) =>
    service.recordFulfilment(app.ctx, requireStaff(request, ['mediator']), request.params.obligationId, request.body.note),
  );

  app.get('/follow-up/overdue', { schema: { tags, response: { 200: overdueListSchema } } }, (request) => service.overdueForCenter(app.ctx, requireStaff(request, ['mediator'])));
};
