import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { custodyListSchema, type EvidenceCapture, evidenceCaptureSchema, evidenceListSchema, evidenceMaxBytes, evidenceShareSchema, evidenceViewSchema, sharedWithSchema } from '../../../shared/api/evidence.ts';
import { caseIdSchema } from '../../../shared/ids.ts';
import { textSchema } from '../../../shared/text.ts';
import { invalid } from '../../errors.ts';
import { requireCaller } from '../../access/caller.ts';
import * as service from './evidence.service.ts';
import { readUploadWithFile, refuseBeforeBody, uploadBodyLimit } from './upload-form.ts';

const evidenceParams = z.object({ evidenceId: z.uuid() });
const signedQuery = z.object({ exp: z.string().optional(), sig: z.string().optional() });
const tags = ['evidence'];

export const evidenceRoutes: FastifyPluginAsyncZod = async (app) => {
  await app.register(multipart, { limits: { fileSize: evidenceMaxBytes, files: 1, fields: 9, fieldSize: 10_000 } });

  app.post(
    '/cases/:caseId/evidence',
    {
      bodyLimit: uploadBodyLimit,
      onRequest: refuseBeforeBody(requireCaller),
      schema: { tags, consumes: ['multipart/form-data'], params: z.object({ caseId: caseIdSchema }), response: { 200: evidenceViewSchema, 201: evidenceViewSchema } },
    },
    async (request, reply) => {
      const caller = requireCaller(request);
      const { file: upload, field } = await readUploadWithFile(request, 'the file');
      const description = textSchema.max(500).optional().safeParse(field('description'));
      if (!description.success) throw invalid('description', description.error.issues[0]!.message);
      const sharedWith = sharedWithSchema.optional().safeParse(field('sharedWith'));
      if (!sharedWith.success) throw invalid('sharedWith', 'all, mediator or a party id');
      // Capture fields (store-and-forward): all of capturedAt and captureSha256, or none.
      const captureFields = ['capturedAt', 'captureSha256', 'latitude', 'longitude'].filter((name) => field(name) !== undefined);
      let capture: EvidenceCapture | undefined;
      if (captureFields.length) {
        const parsed = evidenceCaptureSchema.safeParse(Object.fromEntries(captureFields.map((name) => [name, field(name)])));
        if (!parsed.success) throw invalid(String(parsed.error.issues[0]!.path[0] ?? 'capturedAt'), parsed.error.issues[0]!.message);
        capture = parsed.data;
      }
      const { view, created } = await service.receiveEvidence(app.ctx, caller, request.params.caseId, upload, {
        description: description.data,
        sharedWith: sharedWith.data,
        capture,
      });
      // A repeated capture (a retry whose first answer was lost) answers the item already recorded.
      return reply.code(created ? 201 : 200).send(view);
    },
  );

  app.get('/cases/:caseId/evidence', { schema: { tags, params: z.object({ caseId: caseIdSchema }), response: { 200: evidenceListSchema } } }, (request) =>
    service.listEvidence(app.ctx, requireCaller(request), request.params.caseId),
  );

  app.patch('/evidence/:evidenceId', { schema: { tags, params: evidenceParams, body: evidenceShareSchema, response: { 200: evidenceViewSchema } } }, (request) =>
    service.shareEvidence(app.ctx, requireCaller(request), request.params.evidenceId, request.body.sharedWith),
  );

  // Every use of the bytes is audited (custody) once they are read and before they are served: by the caller when the
  // request carries a login or invitation, else by whom the signed link was made for.
  app.get(
    '/evidence/:evidenceId/content',
    { schema: { tags, params: evidenceParams, querystring: signedQuery.extend({ by: z.string().max(80).optional(), download: z.literal('1').optional() }) } },
    async (request, reply) => {
      const { evidenceId } = request.params;
      const download = request.query.download === '1';
      const signed = app.ctx.urls.verify(service.signedContentPath(evidenceId, request.query.by, download), request.query.exp, request.query.sig);
      const caller = signed ? null : requireCaller(request);
      const row = await service.evidenceFor(app.ctx, caller, evidenceId, signed);
      const actor = caller ? service.custodyActorOf(caller) : (service.actorOfViewerKey(request.query.by) ?? { kind: 'system' as const });
      // Read first: a file that cannot be read was not viewed; recorded before a byte is sent.
      const bytes = await service.evidenceBytes(app.ctx, row);
      await service.recordCustody(app.ctx, row, download ? 'evidence.downloaded' : 'evidence.viewed', actor, { via: caller ? 'login' : 'signed_link' });
      return sendFile(reply, bytes, row.contentType, row.fileName, download);
    },
  );

  app.get(
    '/evidence/:evidenceId/pages/:page',
    { schema: { tags, params: evidenceParams.extend({ page: z.coerce.number().int().min(1).max(10_000) }), querystring: signedQuery.extend({ by: z.literal('room').optional() }) } },
    async (request, reply) => {
      const { evidenceId, page } = request.params;
      const path = request.query.by ? `${service.pagePath(evidenceId, page)}?by=room` : service.pagePath(evidenceId, page);
      const signed = app.ctx.urls.verify(path, request.query.exp, request.query.sig);
      const caller = signed ? null : requireCaller(request);
      const row = await service.evidenceFor(app.ctx, caller, evidenceId, signed);
      const rendered = await service.evidencePage(app.ctx, row, page);
      // A room link is shared by everyone in the room: that showing is recorded once, with its
      // audience, as evidence.shown; a logged-in caller's page view is recorded as theirs.
      if (caller) await service.recordCustody(app.ctx, row, 'evidence.viewed', service.custodyActorOf(caller), { page, via: 'login' });
      return sendFile(reply, rendered.bytes, rendered.contentType, `${row.fileName}-p${page}`);
    },
  );

  app.get(
    '/evidence/:evidenceId/custody',
    { schema: { tags, params: evidenceParams, response: { 200: custodyListSchema } } },
    (request) => service.custodyOf(app.ctx, requireCaller(request), request.params.evidenceId),
  );
};

function sendFile(reply: import('fastify').FastifyReply, bytes: Buffer, contentType: string, fileName: string, download = false) {
  return reply
    .header('Content-Type', contentType)
    .header('Content-Disposition', `${download ? 'attachment' : 'inline'}; filename*=UTF-8''${encodeURIComponent(fileName)}`)
    .header('Content-Security-Policy', "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'")
    .header('Cache-Control', 'private, max-age=300')
    .send(bytes);
}
