import { z } from 'zod';

/** ISO 8601 with an offset; years outside 1900–2100 are mistakes (and years below 100 do not survive a round trip through the database driver). */
export const isoDateTimeSchema = z.iso
  .datetime({ offset: true })
  .refine((value) => {
    const year = new Date(value).getUTCFullYear();
    return year >= 1900 && year <= 2100;
  }, 'year must be between 1900 and 2100');
export const pageQuerySchema = z.object({
  page: z.coerce.number().int().min(1).max(10_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(100).default(20),
});
export const okSchema = z.object({ ok: z.literal(true) });
/** Largest value of a PostgreSQL integer column: any integer a request names stays within it. */
export const int32Max = 2_147_483_647;
/** An agreement version number in a query (?from=1&to=2). */
export const versionNumberSchema = z.coerce.number().int().min(1).max(int32Max);
