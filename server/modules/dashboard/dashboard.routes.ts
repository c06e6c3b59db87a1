import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { dashboardQuerySchema, dashboardSchema } from '../../../shared/api/dashboard.ts';
import { requireStaff } from '../../access/principal.ts';
import * as service from './dashboard.service.ts';

const tags = ['dashboard'];

export const dashboardRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/dashboard', { schema: { tags, querystring: dashboardQuerySchema, response: { 200: dashboardSchema } } }, (request) =>
    service.dashboard(app.ctx, requireStaff(request), request.query),
  );

  app.get('/dashboard/export.csv', { schema: { tags, querystring: dashboardQuerySchema } }, async (request, reply) => {
    const { csv, filename } = await service.dashboardCsv(app.ctx, requireStaff(request), request.query);
    return reply.header('Content-Type', 'text/csv; charset=utf-8').header('Content-Disposition', `attachment; filename="${filename}"`).header('Cache-Control', 'private, no-store').send(csv);
  });
};
