import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import fp from 'fastify-plugin';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { type ErrorBody, type ErrorCode, httpStatusOf } from '../../shared/errors.ts';
import { AppError, WrongNodeError } from '../errors.ts';
import { infrastructureErrorBody, unavailableRetryAfterSeconds } from '../infrastructure-errors.ts';

export function sendError(reply: FastifyReply, body: ErrorBody) {
  return reply.code(httpStatusOf[body.code]).send({ error: body });
}

const fastifyCodes: Record<string, { code: ErrorCode; message: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'PAYLOAD_TOO_LARGE', message: 'request body is too large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'send application/json' },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'VALIDATION_FAILED', message: 'body is not valid JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'VALIDATION_FAILED', message: 'body is empty' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'VALIDATION_FAILED', message: 'content length does not match the body' },
  FST_ERR_VALIDATION: { code: 'VALIDATION_FAILED', message: 'request is not valid' },
};

/** Postgres errors that a client can cause despite validation (races, references). */
const postgresCodes: Record<string, { code: ErrorCode; message: string }> = {
  '23505': { code: 'CONFLICT', message: 'already exists' },
  '23503': { code: 'CONFLICT', message: 'still referenced by other records' },
  '40001': { code: 'CONFLICT', message: 'concurrent change, try again' },
};

/** The envelope body for an error a client caused (AppError, database race), else null. */
export function knownErrorBody(error: unknown): ErrorBody | null {
  if (error instanceof WrongNodeError) return { code: error.code, message: error.message, ...(error.node ? { node: error.node } : {}) };
  if (error instanceof AppError) return { code: error.code, message: error.message, field: error.field, issues: error.issues };
  const pgCode = postgresCodeOf(error);
  return pgCode && postgresCodes[pgCode] ? postgresCodes[pgCode] : infrastructureErrorBody(error);
}

/** Maps every failure to the one error envelope; only genuine faults become 500. */
export const errorsPlugin = fp(async (app: FastifyInstance) => {
  app.setErrorHandler((error: FastifyError & { cause?: unknown }, request, reply) => {
    if (error instanceof AppError) {
      return sendError(reply, { code: error.code, message: error.message, field: error.field, issues: error.issues });
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      const context = error.validationContext ?? 'body';
      const issues = error.validation.map((v) => ({
        field: v.instancePath.split('/').filter(Boolean).join('.') || context,
        message: v.message ?? 'invalid',
      }));
      const first = issues[0]!;
      return sendError(reply, { code: 'VALIDATION_FAILED', message: `${first.field}: ${first.message}`, field: first.field, issues });
    }
    if (error.statusCode === 429) {
      return sendError(reply, { code: 'RATE_LIMITED', message: 'too many attempts, wait a minute and try again' });
    }
    const known = error.code ? fastifyCodes[error.code] : undefined;
    if (known) return sendError(reply, known);
    const pgCode = postgresCodeOf(error);
    if (pgCode && postgresCodes[pgCode]) return sendError(reply, postgresCodes[pgCode]);
    const infrastructure = infrastructureErrorBody(error);
    if (infrastructure) {
      request.log.warn({ err: error }, infrastructure.message);
      if (infrastructure.code === 'UNAVAILABLE') reply.header('Retry-After', String(unavailableRetryAfterSeconds));
      return sendError(reply, infrastructure);
    }
    if (isResponseSerializationError(error)) {
      request.log.error({ err: error, issues: error.cause.issues }, 'response did not match its schema');
    } else if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      return sendError(reply, { code: 'VALIDATION_FAILED', message: error.message });
    } else {
      request.log.error({ err: error }, 'unhandled error');
    }
    return sendError(reply, { code: 'INTERNAL', message: 'internal error' });
  });
});

function postgresCodeOf(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}
