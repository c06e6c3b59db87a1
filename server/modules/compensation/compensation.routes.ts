import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { compensationFiguresInputSchema, compensationFiguresListSchema, compensationFiguresViewSchema } from '../../../shared/api/compensation.ts';
import { requireStaff } from '../../access/principal.ts';
import * as service from './compensation.service.ts';

const tags = ['compensation'];

export const compensationRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/compensation/figures', { schema: { tags, response: { 200: compensationFiguresListSchema } } }, (request) =>
    service.listFigures(app.ctx, requireStaff(request)),
  );

  app.post('/admin/compensation/figures', { schema: { tags, body: compensationFiguresInputSchema, response: { 201: compensationFiguresViewSchema } } }, async (request, reply) =>
    reply.code(201).send(await service.addFigures(app.ctx, requireStaff(request, ['admin']), request.body)),
  );
};
