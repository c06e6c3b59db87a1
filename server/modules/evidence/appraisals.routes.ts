import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { evidenceMaxBytes, evidenceViewSchema } from '../../../shared/api/evidence.ts';
import { signaturePngSchema } from '../../../shared/api/agreements.ts';
import { caseIdSchema } from '../../../shared/ids.ts';
import { invalid } from '../../errors.ts';
import { assertAppraiser, uploadAppraisal } from './appraisals.ts';
import { requireCaller } from '../../access/caller.ts';
import { readUploadWithFile, refuseBeforeBody, uploadBodyLimit } from './upload-form.ts';

export const appraisalsRoutes: FastifyPluginAsyncZod = async (app) => {
  await app.register(multipart, { limits: { fileSize: evidenceMaxBytes, files: 1, fields: 5, fieldSize: 500_000 } });

  app.post(
    '/cases/:caseId/appraisals',
    {
      bodyLimit: uploadBodyLimit,
      onRequest: refuseBeforeBody((request) => assertAppraiser(requireCaller(request))),
      schema: { tags: ['evidence'], consumes: ['multipart/form-data'], params: z.object({ caseId: caseIdSchema }), response: { 201: evidenceViewSchema } },
    },
    async (request, reply) => {
      const caller = requireCaller(request);
      const { file: report, fields } = await readUploadWithFile(request, 'the report');
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
