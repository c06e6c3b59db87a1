import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { recordingListSchema } from '../../../shared/api/recordings.ts';
import { caseIdSchema } from '../../../shared/ids.ts';
import { requireStaff } from '../../access/principal.ts';
import { packRecording } from './recording-package.ts';
import * as service from './recordings.service.ts';

const tags = ['recordings'];
const caseParams = z.object({ caseId: caseIdSchema });

export const recordingsRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/cases/:caseId/recordings', { schema: { tags, params: caseParams, response: { 200: recordingListSchema } } }, async (request) => ({
    items: await service.listRecordings(app.ctx, requireStaff(request), request.params.caseId),
  }));

  // The package checks itself: `npm run recording:check-package -- file.tar`, or unpack and `sha256sum -c SHA256SUMS`.
  app.get('/cases/:caseId/recordings/:recordingId/package', { schema: { tags, params: caseParams.extend({ recordingId: z.uuid() }) } }, async (request, reply) => {
    const { manifest, segments } = await service.packageOf(app.ctx, requireStaff(request), request.params.caseId, request.params.recordingId);
    const stream = await packRecording(app.filesDir, manifest, segments);
    return reply
      .header('Content-Type', 'application/x-tar')
      .header('Content-Disposition', `attachment; filename="recording-${manifest.caseNumber.replace(/[^\w-]/g, '_')}-${request.params.recordingId.slice(0, 8)}.tar"`)
      .send(stream);
  });
};
