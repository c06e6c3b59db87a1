import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { verificationResultSchema } from '../../../shared/api/agreements';
import { caseIdSchema } from '../../../shared/ids';
import { inspectSignedPdf } from '../../documents/verify-pdf';
import type { PlatformCertificate } from '../../documents/platform-certificate';
import { AppError, notFound } from '../../errors';
import { sha256Hex } from '../../security/tokens';
import * as agreementsRepo from '../agreements/agreements.repository';
import { loadCaseForCaller } from '../../access/case-loading';
import { assertMayReadDocuments } from '../../access/roles';
import { findCase } from '../cases/cases.repository';
import { requireCaller } from '../../access/caller';
import { findSealOwner } from '../seals/seals.service';

const maxPdfBytes = 30 * 1024 * 1024;

const documentView = z.object({ id: z.string(), kind: z.enum(['sealed_agreement', 'ruling']), sha256: z.string(), byteSize: z.number().int(), createdAt: z.string(), url: z.string() });

export const documentsRoutes: FastifyPluginAsyncZod<{ certificate: PlatformCertificate }> = async (app, { certificate }) => {
  app.addContentTypeParser('application/pdf', { parseAs: 'buffer', bodyLimit: maxPdfBytes }, (_request, body, done) => done(null, body));

  app.get('/cases/:caseId/documents', { schema: { tags: ['documents'], params: z.object({ caseId: caseIdSchema }), response: { 200: z.object({ items: z.array(documentView) }) } } }, async (request) => {
    const caller = requireCaller(request);
    assertMayReadDocuments(caller);
    await loadCaseForCaller(app.ctx.db, caller, request.params.caseId, 'full');
    const rows = await agreementsRepo.documentsOfCase(app.ctx.db, request.params.caseId);
    return { items: rows.map((d) => ({ id: d.id, kind: d.kind, sha256: d.sha256, byteSize: d.byteSize, createdAt: d.createdAt.toISOString(), url: app.ctx.urls.sign(`/api/documents/${d.id}/pdf`, 4 * 3600) })) };
  });

  app.get(
    '/documents/:documentId/pdf',
    { schema: { tags: ['documents'], params: z.object({ documentId: z.uuid() }), querystring: z.object({ exp: z.string().optional(), sig: z.string().optional() }) } },
    async (request, reply) => {
      const { documentId } = request.params;
      // Who is asking is settled before the lookup, so the answer does not depend on the id existing.
      const signed = app.ctx.urls.verify(`/api/documents/${documentId}/pdf`, request.query.exp, request.query.sig);
      const caller = signed ? null : requireCaller(request);
      if (caller) assertMayReadDocuments(caller);
      const document = await agreementsRepo.findDocument(app.ctx.db, documentId);
      if (!document) throw notFound('document');
      if (caller) {
        await loadCaseForCaller(app.ctx.db, caller, document.caseId, 'full').catch((error: unknown) => {
          throw error instanceof AppError && error.code === 'UNAUTHENTICATED' ? error : notFound('document');
        });
      }
      const name = document.kind === 'ruling' ? '民事裁定书.pdf' : '调解协议书.pdf';
      return reply
        .header('Content-Type', 'application/pdf')
        .header('Content-Disposition', `attachment; filename*=UTF-8''${encodeURIComponent(name)}`)
        .header('Cache-Control', 'private, max-age=300')
        .send(await app.ctx.files.read(document.storageKey));
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
      const sha256 = sha256Hex(bytes);
      const inspection = inspectSignedPdf(bytes);
      const fingerprint = inspection.certificateFingerprintSha256;
      const sealedBy = fingerprint ? await findSealOwner(app.ctx.db, fingerprint) : null;
      const knownCertificate = Boolean(sealedBy) || (fingerprint !== undefined && fingerprint === certificate.fingerprintSha256);
      const stored = await agreementsRepo.findDocumentBySha(app.ctx.db, sha256);
      const caseRow = stored ? await findCase(app.ctx.db, stored.caseId) : undefined;
      const stamp = inspection.timestamp;
      return {
        // A timestamp that is present must hold: a broken one is not a trusted time.
        authentic: Boolean(stored) && inspection.intact && inspection.coversWholeFile && knownCertificate && (!stamp || stamp.intact),
        signature: { signed: inspection.signed, intact: inspection.intact, coversWholeFile: inspection.coversWholeFile, knownCertificate },
        sealedBy,
        timestamp: stamp ? { time: stamp.time, tsa: stamp.tsaSubject ?? '', intact: stamp.intact } : null,
        document: stored
          ? { id: stored.id, kind: stored.kind, caseNumber: caseRow?.case.number ?? '', agreementId: stored.agreementId, versionHash: stored.versionHash, sealedAt: stored.createdAt.toISOString() }
          : null,
        sha256,
      };
    },
  );
};
