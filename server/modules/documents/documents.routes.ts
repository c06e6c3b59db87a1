import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { verificationResultSchema } from '../../../shared/api/agreements.ts';
import { caseIdSchema } from '../../../shared/ids.ts';
import { requireCaller } from '../../access/caller.ts';
import type { PlatformCertificate } from '../../documents/platform-certificate.ts';
import type { TsaTrustList } from '../../documents/tsa-trust.ts';
import { AppError } from '../../errors.ts';
import { documentPath, listCaseDocuments, readDocument } from './read-documents.ts';
import { verifyDocument } from './verify-document.ts';

const maxPdfBytes = 30 * 1024 * 1024;

const documentView = z.object({ id: z.string(), kind: z.enum(['sealed_agreement', 'ruling']), sha256: z.string(), byteSize: z.number().int(), createdAt: z.string(), url: z.string() });

export const documentsRoutes: FastifyPluginAsyncZod<{ certificate: PlatformCertificate; tsaTrust: TsaTrustList | null }> = async (app, { certificate, tsaTrust }) => {
  app.addContentTypeParser('application/pdf', { parseAs: 'buffer', bodyLimit: maxPdfBytes }, (_request, body, done) => done(null, body));

  app.get('/cases/:caseId/documents', { schema: { tags: ['documents'], params: z.object({ caseId: caseIdSchema }), response: { 200: z.object({ items: z.array(documentView) }) } } }, (request) =>
    listCaseDocuments(app.ctx, requireCaller(request), request.params.caseId),
  );

  app.get(
    '/documents/:documentId/pdf',
    { schema: { tags: ['documents'], params: z.object({ documentId: z.uuid() }), querystring: z.object({ exp: z.string().optional(), sig: z.string().optional() }) } },
    async (request, reply) => {
      const { documentId } = request.params;
      // Who is asking is settled before the lookup, so the answer does not depend on the id existing.
      const signed = app.ctx.urls.verify(documentPath(documentId), request.query.exp, request.query.sig);
      const { fileName, bytes } = await readDocument(app.ctx, signed ? null : requireCaller(request), documentId);
      return reply
        .header('Content-Type', 'application/pdf')
        .header('Content-Disposition', `attachment; filename*=UTF-8''${encodeURIComponent(fileName)}`)
        .header('Cache-Control', 'private, max-age=300')
        .send(bytes);
    },
  );

  // Anyone holding a PDF may ask whether it is an unaltered document Haiqiao issued.
  app.post(
    '/documents/verify',
    { bodyLimit: maxPdfBytes, schema: { tags: ['documents'], consumes: ['application/pdf'], response: { 200: verificationResultSchema } }, config: { rateLimit: { max: 30, timeWindow: '1 minute' } } },
    async (request) => {
      const bytes = request.body as Buffer;
      if (!/^application\/pdf\s*(;|$)/i.test(request.headers['content-type'] ?? '')) throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'send the PDF itself as the request body (Content-Type: application/pdf)', 'body');
      if (!Buffer.isBuffer(bytes) || bytes.length === 0) throw new AppError('VALIDATION_FAILED', 'send the PDF as the request body (Content-Type: application/pdf)', 'body');
      return verifyDocument(app.ctx, certificate, bytes, tsaTrust);
    },
  );
};
