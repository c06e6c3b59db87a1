import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { outboxItemSchema, outboxListSchema } from '../../../shared/api/notifications.ts';
import { requireStaff } from '../../access/principal.ts';
import * as service from './notifications.service.ts';

export const notificationsRoutes: FastifyPluginAsyncZod<{ notifications: service.NotificationEffects }> = async (app, { notifications }) => {
  app.get('/notifications', { schema: { tags: ['notifications'], response: { 200: outboxListSchema } } }, (request) =>
    service.listOutbox(app.ctx, requireStaff(request, ['mediator', 'admin'])),
  );

  // Each re-send costs an SMS: a few a minute per address is plenty for a person at the outbox page.
  app.post(
    '/notifications/:notificationId/resend',
    { schema: { tags: ['notifications'], params: z.object({ notificationId: z.uuid() }), response: { 200: outboxItemSchema } }, config: { rateLimit: { max: 10, timeWindow: '1 minute' } } },
    (request) => service.resendNotification(app.ctx, notifications, requireStaff(request, ['mediator', 'admin']), request.params.notificationId),
  );
};
