import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { auditEventListSchema } from '../../../shared/api/admin';
import { caseIdSchema } from '../../../shared/ids';
import { requireStaff } from '../auth/principal';
import { loadCase } from '../cases/cases.service';
import { listCaseEvents } from './audit.repository';

export const auditRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/cases/:caseId/audit', { schema: { tags: ['audit'], params: z.object({ caseId: caseIdSchema }), response: { 200: auditEventListSchema } } }, async (request) => {
    await loadCase(app.ctx.db, requireStaff(request), request.params.caseId, 'full');
    const rows = await listCaseEvents(app.ctx.db, request.params.caseId);
    return { items: rows.map((e) => ({ seq: e.seq, type: e.type, actor: e.actor, data: e.data, occurredAt: e.occurredAt.toISOString(), hash: e.hash })) };
  });
};
