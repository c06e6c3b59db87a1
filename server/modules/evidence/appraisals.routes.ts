import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { evidenceMaxBytes, evidenceViewSchema } from '../../../shared/api/evidence';
import { signaturePngSchema } from '../../../shared/api/agreements';
import { caseIdSchema } from '../../../shared/ids';
import { AppError, forbidden, invalid } from '../../errors';
import { uploadAppraisal } from './appraisals';
import { requireCaller } from '../../access/caller';
import { readUploadForm } from './upload-form';

export const appraisalsRoutes: FastifyPluginAsyncZod = async (app) => {
  await app.register(multipart, { limits: { fileSize: evidenceMaxBytes, files: 1, fields: 5, fieldSize: 500_000 } });

  app.post(
    '/cases/:caseId/appraisals',
    {
      bodyLimit: evidenceMaxBytes + 1024 * 1024,
      // Refused before any body is read, as for evidence: the large limit is for reports only.
      onRequest: async (request) => {
        const caller = requireCaller(request);
        if (caller.kind !== 'participant' || caller.participant.role !== 'appraiser') throw forbidden('only the appointed appraiser files an appraisal report');
        if (!/^multipart\/form-data\s*(;|$)/i.test(request.headers['content-type'] ?? '')) throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'send multipart/form-data with a file field', 'file');
      },
      schema: { tags: ['evidence'], consumes: ['multipart/form-data'], params: z.object({ caseId: caseIdSchema }), response: { 201: evidenceViewSchema } },
    },
    async (request, reply) => {
      const caller = requireCaller(request);
      const { file: report, fields } = await readUploadForm(request);
      if (!report) throw invalid('file', 'attach the report in a field named "file"');
      const signature = signaturePngSchema.safeParse(fields.get('signaturePng'));
      if (!signature.success) throw invalid('signaturePng', signature.error.issues[0]!.message);
      const view = await uploadAppraisal(
        app.ctx,
        caller,
        request.params.caseId,
        report,
        { signaturePng: signature.data, consent: fields.get('consent') === 'true' },
        { ip: request.ip, userAgent: String(request.headers['user-agent'] ?? '') },
      );
      return reply.code(201).send(view);
    },
  );
};
