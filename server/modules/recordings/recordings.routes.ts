import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { deleteRecordingSchema, recordingDeletionListSchema, recordingListSchema, recordingPlaybackQuerySchema } from '../../../shared/api/recordings.ts';
import { caseIdSchema } from '../../../shared/ids.ts';
import { requireStaff } from '../../access/principal.ts';
import { mixPlayback } from '../../media/playback-mix.ts';
import { deleteByHand, listDeletions } from './recording-deletion.ts';
import { packRecording } from './recording-package.ts';
import * as service from './recordings.service.ts';

const tags = ['recordings'];
const caseParams = z.object({ caseId: caseIdSchema });
const recordingParams = caseParams.extend({ recordingId: z.uuid() });

export const recordingsRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/cases/:caseId/recordings', { schema: { tags, params: caseParams, response: { 200: recordingListSchema } } }, async (request) => ({
    items: await service.listRecordings(app.ctx, requireStaff(request), request.params.caseId),
  }));

  // The package checks itself: `npm run recording:check-package -- file.tar`, or unpack and `sha256sum -c SHA256SUMS`.
  app.get('/cases/:caseId/recordings/:recordingId/package', { schema: { tags, params: recordingParams } }, async (request, reply) => {
    const { manifest, segments } = await service.packageOf(app.ctx, requireStaff(request), request.params.caseId, request.params.recordingId);
    const stream = await packRecording(app.filesDir, manifest, segments);
    return reply
      .header('Content-Type', 'application/x-tar')
      .header('Content-Disposition', `attachment; filename="recording-${manifest.caseNumber.replace(/[^\w-]/g, '_')}-${request.params.recordingId.slice(0, 8)}.tar"`)
      .send(stream);
  });

  // One playable file (Opus in WebM) of every audio track mixed in time; the desk seeks in it.
  app.get('/cases/:caseId/recordings/:recordingId/playback', { schema: { tags, params: recordingParams, querystring: recordingPlaybackQuerySchema } }, async (request, reply) => {
    const { tracks, from, to } = await service.playbackOf(app.ctx, app.filesDir, requireStaff(request), request.params.caseId, request.params.recordingId, request.query);
    const { file, dir } = await mixPlayback(tracks, from, to.getTime() - from.getTime());
    const stream = createReadStream(file);
    const cleanup = () => void rm(dir, { recursive: true, force: true });
    stream.once('close', cleanup);
    return reply
      .header('Content-Type', 'audio/webm')
      .header('Cache-Control', 'private, no-store')
      .header('X-Playback-From', from.toISOString())
      .header('X-Playback-To', to.toISOString())
      .send(stream);
  });

  // By hand: the case's mediator, with a reason; 409 while the case is on legal hold.
  app.delete('/cases/:caseId/recordings/:recordingId', { schema: { tags, params: recordingParams, body: deleteRecordingSchema } }, async (request, reply) => {
    await deleteByHand(app.ctx, app.filesDir, requireStaff(request), request.params.caseId, request.params.recordingId, request.body.reason);
    return reply.code(204).send();
  });

  app.get('/cases/:caseId/recording-deletions', { schema: { tags, params: caseParams, response: { 200: recordingDeletionListSchema } } }, async (request) => ({
    items: await listDeletions(app.ctx, requireStaff(request), request.params.caseId),
  }));
};
