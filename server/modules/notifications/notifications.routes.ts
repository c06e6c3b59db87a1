import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { outboxListSchema } from '../../../shared/api/notifications';
import { requireStaff } from '../../access/principal';
import * as service from './notifications.service';

export const notificationsRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/notifications', { schema: { tags: ['notifications'], response: { 200: outboxListSchema } } }, (request) =>
    service.listOutbox(app.ctx, requireStaff(request, ['mediator', 'admin'])),
  );
};
