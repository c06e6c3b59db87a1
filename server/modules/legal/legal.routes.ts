import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  consultationAcceptedSchema,
  consultationCreateSchema,
  consultationListSchema,
  consultationMoveSchema,
  consultationSummarySchema,
  consultationViewSchema,
  dutyRosterQuerySchema,
  dutyRosterSchema,
  dutyShiftCreateSchema,
  dutyShiftViewSchema,
  lawFirmCreateSchema,
  lawFirmViewSchema,
  lawyerCardSchema,
  lawyerCreateSchema,
  lawyerListSchema,
  slotCreateSchema,
  slotListSchema,
  slotViewSchema,
} from '../../../shared/api/legal.ts';
import { requireCaller } from '../../access/caller.ts';
import { requireStaff } from '../../access/principal.ts';
import * as consultations from './consultations.service.ts';
import type { ConsultationEffects } from './consultations.service.ts';
import * as desk from './legal-desk.service.ts';

const tags = ['legal'];
const consultationParams = z.object({ consultationId: z.uuid() });
const shiftParams = z.object({ dutyShiftId: z.uuid() });
const lawyerParams = z.object({ lawyerId: z.uuid() });
/** Requests are rate limited per address: each one texts a lawyer. */
const requestLimit = { rateLimit: { max: 20, timeWindow: '1 minute' } };

/** Legal help on demand (issue 11 point 4): the center's firms, lawyers, roster and slots, and consultations. */
export const legalRoutes: FastifyPluginAsyncZod<{ effects: ConsultationEffects }> = async (app, { effects }) => {
  app.get('/legal/firms', { schema: { tags, response: { 200: z.object({ items: z.array(lawFirmViewSchema) }) } } }, (request) =>
    desk.listFirms(app.ctx, requireStaff(request)),
  );
  app.post('/legal/firms', { schema: { tags, body: lawFirmCreateSchema, response: { 201: lawFirmViewSchema } } }, async (request, reply) =>
    reply.code(201).send(await desk.createFirm(app.ctx, requireStaff(request, ['admin']), request.body.name)),
  );
  app.get('/legal/lawyers', { schema: { tags, response: { 200: lawyerListSchema } } }, (request) => desk.listLawyers(app.ctx, requireCaller(request)));
  app.post('/legal/lawyers', { schema: { tags, body: lawyerCreateSchema, response: { 201: lawyerCardSchema } } }, async (request, reply) =>
    reply.code(201).send(await desk.createLawyer(app.ctx, requireStaff(request, ['admin']), request.body)),
  );
  app.get('/legal/duty', { schema: { tags, querystring: dutyRosterQuerySchema, response: { 200: dutyRosterSchema } } }, (request) =>
    desk.dutyRoster(app.ctx, requireStaff(request, ['admin', 'mediator', 'lawyer']), request.query),
  );
  app.post('/legal/duty', { schema: { tags, body: dutyShiftCreateSchema, response: { 201: dutyShiftViewSchema } } }, async (request, reply) =>
    reply.code(201).send(await desk.addDutyShift(app.ctx, requireStaff(request, ['admin']), request.body)),
  );
  app.delete('/legal/duty/:dutyShiftId', { schema: { tags, params: shiftParams, response: { 200: z.object({ id: z.string() }) } } }, (request) =>
    desk.removeDutyShift(app.ctx, requireStaff(request, ['admin']), request.params.dutyShiftId),
  );
  app.post('/legal/lawyers/:lawyerId/slots', { schema: { tags, params: lawyerParams, body: slotCreateSchema, response: { 201: slotViewSchema } } }, async (request, reply) =>
    reply.code(201).send(await desk.publishSlot(app.ctx, requireStaff(request, ['admin']), request.body, request.params.lawyerId)),
  );
  app.get('/legal/slots', { schema: { tags, response: { 200: slotListSchema } } }, (request) => desk.listSlots(app.ctx, requireCaller(request)));
  app.post('/legal/slots', { schema: { tags, body: slotCreateSchema, response: { 201: slotViewSchema } } }, async (request, reply) =>
    reply.code(201).send(await desk.publishSlot(app.ctx, requireStaff(request, ['lawyer']), request.body)),
  );

  app.get('/consultations', { schema: { tags, response: { 200: consultationListSchema } } }, (request) =>
    consultations.listConsultations(app.ctx, requireCaller(request)),
  );
  app.post('/consultations', { config: requestLimit, schema: { tags, body: consultationCreateSchema, response: { 201: consultationViewSchema } } }, async (request, reply) =>
    reply.code(201).send(await consultations.requestConsultation(app.ctx, effects, requireCaller(request), request.body)),
  );
  app.post(
    '/consultations/:consultationId/transitions',
    { schema: { tags, params: consultationParams, body: consultationMoveSchema, response: { 200: consultationAcceptedSchema } } },
    (request) => consultations.moveConsultation(app.ctx, effects, requireCaller(request), request.params.consultationId, request.body, `${request.protocol}://${request.host}`),
  );
  app.get('/consultations/:consultationId/summary', { schema: { tags, params: consultationParams, response: { 200: consultationSummarySchema } } }, (request) =>
    consultations.consultationSummary(app.ctx, requireStaff(request, ['lawyer']), request.params.consultationId),
  );
};
