import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { outboxListSchema } from '../../../shared/api/notifications.ts';
import { requireStaff } from '../../access/principal.ts';
import * as service from './notifications.service.ts';

export const notificationsRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/notifications', { schema: { tags: ['notifications'], response: { 200: outboxListSchema } } }, (request) =>
    service.listOutbox(app.ctx, requireStaff(request, ['mediator', 'admin'])),
  );
};
