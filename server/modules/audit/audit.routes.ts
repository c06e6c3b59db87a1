import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { auditEventListSchema, auditExportManifestSchema } from '../../../shared/api/admin.ts';
import { caseIdSchema } from '../../../shared/ids.ts';
import { requireStaff } from '../../access/principal.ts';
import { loadCase } from '../../access/case-loading.ts';
import { buildCaseExport } from './audit-export.ts';
import { listCaseEvents } from './audit.repository.ts';

const params = z.object({ caseId: caseIdSchema });

export const auditRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/cases/:caseId/audit', { schema: { tags: ['audit'], params, response: { 200: auditEventListSchema } } }, async (request) => {
    await loadCase(app.ctx.db, requireStaff(request), request.params.caseId, 'full');
    const rows = await listCaseEvents(app.ctx.db, request.params.caseId);
    return { items: rows.map((e) => ({ seq: e.seq, type: e.type, actor: e.actor, data: e.data, occurredAt: e.occurredAt.toISOString(), hash: e.hash })) };
  });

  // The verifiable export: the manifest names the chain head it was made at (upToSeq); the
  // events file for that upToSeq is byte for byte the one the manifest's SHA-256 describes.
  app.get(
    '/cases/:caseId/audit/export/manifest.json',
    { schema: { tags: ['audit'], params, response: { 200: auditExportManifestSchema } } },
    async (request, reply) => {
      const found = await loadCase(app.ctx.db, requireStaff(request), request.params.caseId, 'full');
      const { manifest } = await buildCaseExport(app.ctx.db, { caseId: request.params.caseId, caseNumber: found.case.number, now: app.ctx.now() });
      return reply.header('Content-Disposition', 'attachment; filename="manifest.json"').send(manifest);
    },
  );

  app.get(
    '/cases/:caseId/audit/export/events.jsonl',
    { schema: { tags: ['audit'], params, querystring: z.object({ upToSeq: z.coerce.number().int().min(0).optional() }) } },
    async (request, reply) => {
      const found = await loadCase(app.ctx.db, requireStaff(request), request.params.caseId, 'full');
      const { jsonl, manifest } = await buildCaseExport(app.ctx.db, {
        caseId: request.params.caseId,
        caseNumber: found.case.number,
        now: app.ctx.now(),
        ...(request.query.upToSeq !== undefined ? { upToSeq: request.query.upToSeq } : {}),
      });
      return reply
        .header('Content-Type', 'application/x-ndjson; charset=utf-8')
        .header('Content-Disposition', 'attachment; filename="events.jsonl"')
        .header('X-Audit-Up-To-Seq', String(manifest.upToSeq))
        .send(jsonl);
    },
  );
};
