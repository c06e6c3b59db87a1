import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { evidenceMaxBytes, evidenceViewSchema } from '../../../shared/api/evidence';
import { signaturePngSchema } from '../../../shared/api/agreements';
import { caseIdSchema } from '../../../shared/ids';
import { AppError, forbidden, invalid } from '../../errors';
import { uploadAppraisal } from './appraisals';
import { requireCaller } from './caller';
import type { Upload } from './evidence.service';

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
      if (!request.isMultipart()) throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'send multipart/form-data', 'file');
      // Every part is read, so the statement and signature count whether they come before or after the file.
      const fields = new Map<string, string>();
      let report: Upload | undefined;
      try {
        for await (const part of request.parts()) {
          if (part.type === 'field') {
            if (typeof part.value === 'string' && !fields.has(part.fieldname)) fields.set(part.fieldname, part.value);
          } else if (part.fieldname === 'file' && !report) {
            report = { bytes: await part.toBuffer(), fileName: part.filename, truncated: part.file.truncated };
          } else {
            await part.toBuffer(); // drained and ignored
          }
        }
      } catch (error) {
        if ((error as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') throw new AppError('PAYLOAD_TOO_LARGE', `files may be at most ${evidenceMaxBytes / 1024 / 1024} MB`, 'file');
        throw error;
      }
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
