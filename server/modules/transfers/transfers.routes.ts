import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { caseTransfersSchema, incomingTransfersSchema, transferIdSchema, transferRequestSchema, transferReturnSchema, transferViewSchema } from '../../../shared/api/transfers.ts';
import { caseIdSchema } from '../../../shared/ids.ts';
import { requireStaff } from '../../access/principal.ts';
import type { NotificationEffects } from '../notifications/notifications.service.ts';
import * as service from './transfers.service.ts';

const tags = ['transfers'];
const caseParams = z.object({ caseId: caseIdSchema });
const transferParams = z.object({ transferId: transferIdSchema });

export const transfersRoutes: FastifyPluginAsyncZod<{ notifications: NotificationEffects }> = async (app, { notifications }) => {
  app.get('/cases/:caseId/transfers', { schema: { tags, params: caseParams, response: { 200: caseTransfersSchema } } }, (request) =>
    service.caseTransfers(app.ctx, requireStaff(request), request.params.caseId),
  );

  app.post(
    '/cases/:caseId/transfers',
    { schema: { tags, params: caseParams, body: transferRequestSchema, response: { 201: transferViewSchema } } },
    async (request, reply) => reply.code(201).send(await service.requestTransfer(app.ctx, notifications, requireStaff(request), request.params.caseId, request.body)),
  );

  app.get('/transfers/incoming', { schema: { tags, response: { 200: incomingTransfersSchema } } }, (request) => service.incomingTransfers(app.ctx, requireStaff(request)));

  app.post('/transfers/:transferId/accept', { schema: { tags, params: transferParams, response: { 200: transferViewSchema } } }, (request) =>
    service.acceptTransfer(app.ctx, requireStaff(request), request.params.transferId),
  );

  app.post('/transfers/:transferId/return', { schema: { tags, params: transferParams, body: transferReturnSchema, response: { 200: transferViewSchema } } }, (request) =>
    service.returnTransfer(app.ctx, notifications, requireStaff(request), request.params.transferId, request.body.reason),
  );
};
