import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  caseCreateSchema,
  caseListQuerySchema,
  caseListSchema,
  caseTransitionSchema,
  caseUpdateSchema,
  caseViewSchema,
  partyInputSchema,
  partyViewSchema,
  vesselInputSchema,
  vesselViewSchema,
} from '../../../shared/api/cases.ts';
import { caseIdSchema, partyIdSchema, vesselIdSchema } from '../../../shared/ids.ts';
import { requireStaff } from '../../access/principal.ts';
import * as service from './cases.service.ts';

const caseParams = z.object({ caseId: caseIdSchema });
const partyParams = caseParams.extend({ partyId: partyIdSchema });
const vesselParams = caseParams.extend({ vesselId: vesselIdSchema });
const tags = ['cases'];

export const casesRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/cases', { schema: { tags, querystring: caseListQuerySchema, response: { 200: caseListSchema } } }, (request) =>
    service.listCases(app.ctx, requireStaff(request), request.query),
  );

  app.post('/cases', { schema: { tags, body: caseCreateSchema, response: { 201: caseViewSchema } } }, async (request, reply) =>
    reply.code(201).send(await service.createCase(app.ctx, requireStaff(request, ['mediator']), request.body)),
  );

  app.get('/cases/:caseId', { schema: { tags, params: caseParams, response: { 200: caseViewSchema } } }, (request) =>
    service.getCase(app.ctx, requireStaff(request), request.params.caseId),
  );

  app.patch('/cases/:caseId', { schema: { tags, params: caseParams, body: caseUpdateSchema, response: { 200: caseViewSchema } } }, (request) =>
    service.updateCase(app.ctx, requireStaff(request, ['mediator']), request.params.caseId, request.body),
  );

  app.post(
    '/cases/:caseId/transitions',
    { schema: { tags, params: caseParams, body: caseTransitionSchema, response: { 200: caseViewSchema } } },
    (request) => service.transitionCase(app.ctx, requireStaff(request, ['mediator']), request.params.caseId, request.body.to),
  );

  app.post('/cases/:caseId/parties', { schema: { tags, params: caseParams, body: partyInputSchema, response: { 201: partyViewSchema } } }, async (request, reply) =>
    reply.code(201).send(await service.addParty(app.ctx, requireStaff(request, ['mediator']), request.params.caseId, request.body)),
  );

  app.put('/cases/:caseId/parties/:partyId', { schema: { tags, params: partyParams, body: partyInputSchema, response: { 200: partyViewSchema } } }, (request) =>
    service.updateParty(app.ctx, requireStaff(request, ['mediator']), request.params.caseId, request.params.partyId, request.body),
  );

  app.delete('/cases/:caseId/parties/:partyId', { schema: { tags, params: partyParams } }, async (request, reply) => {
    await service.removeParty(app.ctx, requireStaff(request, ['mediator']), request.params.caseId, request.params.partyId);
    return reply.code(204).send();
  });

  app.post('/cases/:caseId/vessels', { schema: { tags, params: caseParams, body: vesselInputSchema, response: { 201: vesselViewSchema } } }, async (request, reply) =>
    reply.code(201).send(await service.addVessel(app.ctx, requireStaff(request, ['mediator']), request.params.caseId, request.body)),
  );

  app.put('/cases/:caseId/vessels/:vesselId', { schema: { tags, params: vesselParams, body: vesselInputSchema, response: { 200: vesselViewSchema } } }, (request) =>
    service.updateVessel(app.ctx, requireStaff(request, ['mediator']), request.params.caseId, request.params.vesselId, request.body),
  );

  app.delete('/cases/:caseId/vessels/:vesselId', { schema: { tags, params: vesselParams } }, async (request, reply) => {
    await service.removeVessel(app.ctx, requireStaff(request, ['mediator']), request.params.caseId, request.params.vesselId);
    return reply.code(204).send();
  });
};
