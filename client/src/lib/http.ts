import type { z } from 'zod';
import { errorEnvelopeSchema, type ErrorCode, type FieldIssue } from '../../../shared/errors.ts';

/** Codes the client adds for failures that never reached a well-formed server answer. */
export type ClientErrorCode = 'NETWORK' | 'BAD_RESPONSE';

/** A failed API call, carrying the server's error envelope so forms can point at the field at fault. */
export class ApiError extends Error {
  readonly code: ErrorCode | ClientErrorCode;
  readonly status: number;
  readonly field: string | undefined;
  readonly issues: FieldIssue[];

  constructor(code: ErrorCode | ClientErrorCode, message: string, status = 0, field?: string, issues: FieldIssue[] = []) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
    this.field = field;
    this.issues = issues;
  }
}

export type Query = Record<string, string | number | undefined | null>;

interface RequestOptions {
  /** JSON-encoded, except FormData (multipart) and Blob (raw bytes of its type), sent as they are. */
  body?: unknown;
  query?: Query;
  /** Extra headers, e.g. a participant's `Authorization: Invitation <token>`. */
  headers?: Record<string, string>;
}

function urlWith(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const search = params.toString();
  return search ? `${path}?${search}` : path;
}

async function send(method: string, path: string, options: RequestOptions): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  const init: RequestInit = { method, headers, credentials: 'same-origin' };
  if (typeof FormData !== 'undefined' && options.body instanceof FormData) {
    init.body = options.body; // the browser sets the multipart boundary
  } else if (typeof Blob !== 'undefined' && options.body instanceof Blob) {
    headers['content-type'] = options.body.type; // raw bytes (a photo), typed by the file
    init.body = options.body;
  } else if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(options.body);
  }
  try {
    return await fetch(urlWith(path, options.query), init);
  } catch (cause) {
    throw new ApiError('NETWORK', cause instanceof Error ? cause.message : 'network error');
  }
}

export async function errorFrom(response: Response): Promise<ApiError> {
  const json: unknown = await response.json().catch(() => null);
  const envelope = errorEnvelopeSchema.safeParse(json);
  if (envelope.success) {
    const { code, message, field, issues } = envelope.data.error;
    return new ApiError(code, message, response.status, field ?? issues?.[0]?.field, issues ?? []);
  }
  // A proxy or crash page rather than our envelope: classify by status so the UI still says something useful.
  const code: ErrorCode = response.status === 401 ? 'UNAUTHENTICATED' : response.status === 404 ? 'NOT_FOUND' : 'INTERNAL';
  return new ApiError(code, response.statusText || `HTTP ${response.status}`, response.status);
}

/** Sends a request and parses the JSON answer with `schema`; every non-2xx answer becomes an ApiError. */
export async function request<S extends z.ZodType>(method: string, path: string, schema: S, options: RequestOptions = {}): Promise<z.output<S>> {
  const response = await send(method, path, options);
  if (!response.ok) throw await errorFrom(response);
  const json: unknown = await response.json().catch(() => undefined);
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    console.error(`Unexpected response from ${method} ${path}`, parsed.error.issues);
    throw new ApiError('BAD_RESPONSE', 'unexpected response from server', response.status);
  }
  return parsed.data;
}

/** For endpoints that answer 204 No Content. */
export async function requestNoContent(method: string, path: string, options: RequestOptions = {}): Promise<void> {
  const response = await send(method, path, options);
  if (!response.ok) throw await errorFrom(response);
}
