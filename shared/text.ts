import { z } from 'zod';

/**
 * Free text from a request. PostgreSQL text cannot hold NUL (U+0000): refusing it here names the
 * field at fault instead of failing in the database with a 500.
 */
export const textSchema = z.string().refine((value) => !value.includes('\u0000'), 'must not contain NUL characters');
