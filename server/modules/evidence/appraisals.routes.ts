import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { evidenceMaxBytes, evidenceViewSchema } from '../../../shared/api/evidence';
import { signaturePngSchema } from '../../../shared/api/agreements';
import { caseIdSchema } from '../../../shared/ids';
import { AppError, invalid } from '../../errors';
import { uploadAppraisal } from './appraisals';
import { requireCaller } from './caller';

export const appraisalsRoutes: FastifyPluginAsyncZod = async (app) => {
  await app.register(multipart, { limits: { fileSize: evidenceMaxBytes, files: 1, fields: 5, fieldSize: 500_000 } });

  app.post(
    '/cases/:caseId/appraisals',
    { bodyLimit: evidenceMaxBytes + 1024 * 1024, schema: { tags: ['evidence'], consumes: ['multipart/form-data'], params: z.object({ caseId: caseIdSchema }), response: { 201: evidenceViewSchema } } },
    async (request, reply) => {
      const caller = requireCaller(request);
      if (!request.isMultipart()) throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'send multipart/form-data', 'file');
      // Fields before the file: the statement and signature come first in the form.
      const part = await request.file();
      if (!part || part.fieldname !== 'file') throw invalid('file', 'attach the report in a field named "file"');
      let bytes: Buffer;
      try {
        bytes = await part.toBuffer();
      } catch (error) {
        if ((error as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') throw new AppError('PAYLOAD_TOO_LARGE', `files may be at most ${evidenceMaxBytes / 1024 / 1024} MB`, 'file');
        throw error;
      }
      const field = (name: string) => (part.fields[name] as { value?: unknown } | undefined)?.value;
      const signature = signaturePngSchema.safeParse(field('signaturePng'));
      if (!signature.success) throw invalid('signaturePng', signature.error.issues[0]!.message);
      const view = await uploadAppraisal(
        app.ctx,
        caller,
        request.params.caseId,
        { bytes, fileName: part.filename, truncated: part.file.truncated },
        { signaturePng: signature.data, consent: field('consent') === 'true' },
        { ip: request.ip, userAgent: String(request.headers['user-agent'] ?? '') },
      );
      return reply.code(201).send(view);
    },
  );
};
