import { z } from 'zod';

export const healthSchema = z.object({
  status: z.enum(['ok', 'degraded']),
  database: z.object({ ok: z.boolean(), driver: z.enum(['postgres', 'pglite']) }),
  media: z.object({ ok: z.boolean(), workers: z.number().int(), alive: z.number().int(), version: z.string() }),
});
