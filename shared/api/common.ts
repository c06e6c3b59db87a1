import { z } from 'zod';

export const isoDateTimeSchema = z.iso.datetime({ offset: true });
export const pageQuerySchema = z.object({
  page: z.coerce.number().int().min(1).max(10_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(100).default(20),
});
export const okSchema = z.object({ ok: z.literal(true) });
