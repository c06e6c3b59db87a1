import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  agreementDraftSchema,
  agreementListSchema,
  agreementViewSchema,
  commentCreateSchema,
  confirmationSummarySchema,
  declineRequestSchema,
  diffSchema,
  previewSchema,
  signingCodeRequestSchema,
  signingCodeSchema,
  signRequestSchema,
} from '../../../shared/api/agreements.ts';
import { versionNumberSchema } from '../../../shared/api/common.ts';
import { caseIdSchema } from '../../../shared/ids.ts';
import { notFound } from '../../errors.ts';
import { requireStaff } from '../../access/principal.ts';
import { fileApplication } from '../confirmations/confirmations.service.ts';
import { requireCaller } from '../../access/caller.ts';
import * as repo from './agreements.repository.ts';
import * as service from './agreements.service.ts';

const tags = ['agreements'];
const agreementParams = z.object({ agreementId: z.uuid() });
const caseParams = z.object({ caseId: caseIdSchema });

export const agreementsRoutes: FastifyPluginAsyncZod<{ effects: service.AgreementEffects }> = async (app, { effects }) => {
  app.post('/cases/:caseId/agreements/preview', { schema: { tags, params: caseParams, body: agreementDraftSchema, response: { 200: previewSchema } } }, (request) =>
    service.previewAgreement(app.ctx, requireCaller(request), request.params.caseId, request.body),
  );

  app.post('/cases/:caseId/agreements', { schema: { tags, params: caseParams, body: agreementDraftSchema, response: { 201: agreementViewSchema } } }, async (request, reply) =>
    reply.code(201).send(await service.createAgreement(app.ctx, effects, requireStaff(request, ['mediator']), request.params.caseId, request.body)),
  );

  app.get('/cases/:caseId/agreements', { schema: { tags, params: caseParams, response: { 200: agreementListSchema } } }, (request) =>
    service.listAgreements(app.ctx, requireCaller(request), request.params.caseId),
  );

  app.get('/agreements/:agreementId', { schema: { tags, params: agreementParams, response: { 200: agreementViewSchema } } }, (request) =>
    service.getAgreement(app.ctx, requireCaller(request), request.params.agreementId),
  );

  app.post('/agreements/:agreementId/versions', { schema: { tags, params: agreementParams, body: agreementDraftSchema, response: { 200: agreementViewSchema } } }, (request) =>
    service.saveVersion(app.ctx, effects, requireStaff(request, ['mediator']), request.params.agreementId, request.body),
  );

  app.get(
    '/agreements/:agreementId/diff',
    { schema: { tags, params: agreementParams, querystring: z.object({ from: versionNumberSchema, to: versionNumberSchema }), response: { 200: diffSchema } } },
    (request) => service.diffVersions(app.ctx, requireCaller(request), request.params.agreementId, request.query.from, request.query.to),
  );

  app.post('/agreements/:agreementId/comments', { schema: { tags, params: agreementParams, body: commentCreateSchema, response: { 200: agreementViewSchema } } }, (request) =>
    service.addComment(app.ctx, effects, requireCaller(request), request.params.agreementId, request.body),
  );

  app.post(
    '/agreements/:agreementId/transitions',
    { schema: { tags, params: agreementParams, body: z.object({ to: z.enum(['signing', 'drafting', 'withdrawn']) }), response: { 200: agreementViewSchema } } },
    (request) => service.transitionAgreement(app.ctx, effects, requireStaff(request, ['mediator']), request.params.agreementId, request.body.to),
  );

  app.post('/agreements/:agreementId/signing-codes', { schema: { tags, params: agreementParams, body: signingCodeRequestSchema, response: { 200: signingCodeSchema } } }, (request) =>
    service.issueSigningCode(app.ctx, requireStaff(request, ['mediator']), request.params.agreementId, request.body.participantId),
  );

  const meta = (request: { ip: string; headers: Record<string, string | string[] | undefined> }) => ({
    ip: request.ip,
    userAgent: String(request.headers['user-agent'] ?? ''),
  });

  app.post(
    '/agreements/:agreementId/sign',
    {
      bodyLimit: 512 * 1024,
      schema: { tags, params: agreementParams, body: signRequestSchema, response: { 200: agreementViewSchema } },
      config: { rateLimit: { max: 20, timeWindow: '1 minute' } },
    },
    (request) => service.signAgreement(app.ctx, effects, requireCaller(request), request.params.agreementId, request.body, meta(request)),
  );

  app.post(
    '/agreements/:agreementId/decline',
    { schema: { tags, params: agreementParams, body: declineRequestSchema, response: { 200: agreementViewSchema } }, config: { rateLimit: { max: 20, timeWindow: '1 minute' } } },
    (request) => service.declineAgreement(app.ctx, effects, requireCaller(request), request.params.agreementId, request.body, meta(request)),
  );

  app.get('/agreements/:agreementId/signatures/:signatureId/image', { schema: { tags, params: agreementParams.extend({ signatureId: z.uuid() }) } }, async (request, reply) => {
    await service.getAgreement(app.ctx, requireCaller(request), request.params.agreementId);
    const signature = (await repo.allSignatures(app.ctx.db, request.params.agreementId)).find((s) => s.id === request.params.signatureId);
    if (!signature?.imageStorageKey) throw notFound('signature image');
    return reply.header('Content-Type', 'image/png').header('Cache-Control', 'private, max-age=300').send(await app.ctx.files.read(signature.imageStorageKey));
  });

  app.post('/agreements/:agreementId/confirmation', { schema: { tags: ['confirmation'], params: agreementParams, response: { 201: confirmationSummarySchema } } }, async (request, reply) =>
    reply.code(201).send(await fileApplication(app.ctx, requireStaff(request, ['mediator']), request.params.agreementId)),
  );
};
