import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { consentRecordingContentTypes, consentRecordingLimits, consentRecordingParamsSchema, consentRecordingSchema } from '../../../shared/api/agreements.ts';
import { AppError } from '../../errors.ts';
import { requireStaff } from '../../access/principal.ts';
import { requireCaller } from '../../access/caller.ts';
import * as service from './consent.service.ts';

const tags = ['agreements'];
/** MediaRecorder's types, with or without `;codecs=…`. */
const audioContentType = /^audio\/(webm|ogg|mp4)\s*(;.*)?$/i;

export const consentRoutes: FastifyPluginAsyncZod = async (app) => {
  // Only these routes take audio bodies (the plugin is encapsulated); the bytes are checked by ffprobe in the service.
  app.addContentTypeParser(audioContentType, { parseAs: 'buffer', bodyLimit: consentRecordingLimits.maxBytes }, (_request, body, done) => done(null, body));

  app.put(
    '/agreements/:agreementId/consent-recordings/:sha256',
    {
      bodyLimit: consentRecordingLimits.maxBytes,
      schema: {
        tags,
        consumes: [...consentRecordingContentTypes],
        params: consentRecordingParamsSchema,
        response: { 200: consentRecordingSchema, 201: consentRecordingSchema },
      },
      config: { rateLimit: { max: 30, timeWindow: '1 minute' } },
    },
    async (request, reply) => {
      const caller = requireCaller(request);
      if (!Buffer.isBuffer(request.body)) throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'send the recording itself as audio/webm, audio/ogg or audio/mp4', 'recording');
      const { recording, created } = await service.uploadConsentRecording(app.ctx, caller, request.params.agreementId, request.params.sha256, request.body);
      return reply.code(created ? 201 : 200).send(recording);
    },
  );

  app.get(
    '/agreements/:agreementId/signatures/:signatureId/consent-recording',
    { schema: { tags, params: z.object({ agreementId: z.uuid(), signatureId: z.uuid() }) } },
    async (request, reply) => {
      // Staff only (an invitation is no credential here): the playback is audited as theirs.
      const caller = { kind: 'staff' as const, principal: requireStaff(request) };
      const { bytes, contentType } = await service.playConsentRecording(app.ctx, caller, request.params.agreementId, request.params.signatureId);
      return reply
        .header('Content-Type', contentType)
        .header('Content-Security-Policy', "sandbox; default-src 'none'")
        .header('Cache-Control', 'private, no-store')
        .send(bytes);
    },
  );
};
