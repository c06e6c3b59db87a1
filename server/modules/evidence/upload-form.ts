import type { FastifyRequest } from 'fastify';
import { evidenceMaxBytes } from '../../../shared/api/evidence.ts';
import { AppError, invalid } from '../../errors.ts';
import type { Upload } from './evidence.service.ts';

/** One multipart upload form: the first part named "file" and the first value of each text field. */
interface UploadForm {
  file: Upload | undefined;
  fields: Map<string, string>;
}

/** Room for the file plus the form's text fields (a signature image, a description). */
export const uploadBodyLimit = evidenceMaxBytes + 1024 * 1024;

const notMultipart = () => new AppError('UNSUPPORTED_MEDIA_TYPE', 'send multipart/form-data with a file field', 'file');

/**
 * The `onRequest` hook of an upload route: `guard` (who may upload) and then the content type,
 * both before any body is read, so the large body limit serves files only, never anonymous or
 * JSON bodies.
 */
export function refuseBeforeBody(guard: (request: FastifyRequest) => void) {
  return async (request: FastifyRequest) => {
    guard(request);
    if (!/^multipart\/form-data\s*(;|$)/i.test(request.headers['content-type'] ?? '')) throw notMultipart();
  };
}

/** One file and a few fields: more parts than that is a malformed form (the library's message names the limit). */
const tooManyParts = new Set(['FST_PARTS_LIMIT', 'FST_FILES_LIMIT', 'FST_FIELDS_LIMIT']);

/**
 * Reads every part of a multipart request, so that text fields count whether they come before or
 * after the file. A malformed body (no boundary, truncated, broken part headers) is the sender's
 * fault: 400 naming the problem, never a 500, and nothing has been written by then.
 */
async function readUploadForm(request: FastifyRequest): Promise<UploadForm> {
  if (!request.isMultipart()) throw notMultipart();
  const fields = new Map<string, string>();
  let file: Upload | undefined;
  try {
    for await (const part of request.parts()) {
      if (part.type === 'field') {
        if (typeof part.value === 'string' && !fields.has(part.fieldname)) fields.set(part.fieldname, part.value);
      } else if (part.fieldname === 'file' && !file) {
        file = { bytes: await part.toBuffer(), fileName: part.filename, truncated: part.file.truncated };
      } else {
        await part.toBuffer(); // drained and ignored
      }
    }
  } catch (error) {
    if (error instanceof AppError) throw error;
    const code = (error as { code?: string }).code;
    if (code === 'FST_REQ_FILE_TOO_LARGE') throw new AppError('PAYLOAD_TOO_LARGE', `files may be at most ${evidenceMaxBytes / 1024 / 1024} MB`, 'file');
    if (code && tooManyParts.has(code)) throw new AppError('VALIDATION_FAILED', `one file and a few fields only (${(error as Error).message})`);
    const detail = error instanceof Error ? error.message.slice(0, 120) : 'unreadable';
    throw invalid('file', `malformed multipart/form-data body (${detail})`);
  }
  return { file, fields };
}

/**
 * The form with its file, which must be there (400 on `file` saying what to attach), and its text
 * fields, an empty one read as absent.
 */
export async function readUploadWithFile(request: FastifyRequest, whatToAttach: string) {
  const { file, fields } = await readUploadForm(request);
  if (!file) throw invalid('file', `attach ${whatToAttach} in a field named "file"`);
  const field = (name: string) => {
    const value = fields.get(name);
    return value !== undefined && value !== '' ? value : undefined;
  };
  return { file, fields, field };
}
