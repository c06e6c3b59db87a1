import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { healthSchema } from '../../../shared/api/health.ts';

export interface MediaStatus {
  status(): { workers: number; alive: number; version: string };
}

export const healthRoutes: FastifyPluginAsyncZod<{ driver: 'postgres' | 'pglite'; ping: () => Promise<boolean>; media: MediaStatus | null }> = async (app, opts) => {
  // Probed every half second by haproxy and monitors: logged only when something is wrong.
  app.get('/health', { logLevel: 'warn', schema: { tags: ['health'], response: { 200: healthSchema, 503: healthSchema } } }, async (_request, reply) => {
    const databaseOk = await opts.ping();
    const media = opts.media?.status() ?? { workers: 0, alive: 0, version: 'disabled' };
    const mediaOk = opts.media === null || (media.workers > 0 && media.alive === media.workers);
    const body = {
      status: databaseOk && mediaOk ? ('ok' as const) : ('degraded' as const),
      database: { ok: databaseOk, driver: opts.driver },
      media: { ok: mediaOk, ...media },
    };
    return reply.code(databaseOk ? 200 : 503).send(body);
  });
};
