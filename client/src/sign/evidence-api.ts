/**
 * A participant's evidence calls: the list they may see, uploads with progress (photos from a
 * boat can take minutes), and an appraiser's report with the signed statement. Answers are
 * parsed with the shared evidence schemas.
 */
import type { z } from 'zod';
import { evidenceListSchema, evidenceViewSchema, type EvidenceView } from '../../../shared/api/evidence.ts';
import { ApiError, errorFrom, request } from '../lib/http.ts';
import { headersOf, type Caller } from './participant-api.ts';

const id = encodeURIComponent;

export const listEvidence = (caller: Caller, caseId: string) => request('GET', `/api/cases/${id(caseId)}/evidence`, evidenceListSchema, { headers: headersOf(caller) });

/**
 * A multipart upload with progress (uploads from a boat can take minutes): XMLHttpRequest,
 * because fetch reports no upload progress. The answer is parsed like every other one.
 */
function upload<S extends z.ZodType>(caller: Caller, path: string, form: FormData, schema: S, onProgress?: (fraction: number) => void, signal?: AbortSignal): Promise<z.output<S>> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    xhr.setRequestHeader('accept', 'application/json');
    for (const [name, value] of Object.entries(headersOf(caller))) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable && onProgress) onProgress(event.loaded / event.total);
    };
    xhr.onerror = () => reject(new ApiError('NETWORK', 'upload failed'));
    xhr.onabort = () => reject(new ApiError('NETWORK', 'upload cancelled'));
    xhr.onload = () => {
      const response = new Response(xhr.responseText || null, { status: xhr.status, statusText: xhr.statusText });
      if (xhr.status < 200 || xhr.status >= 300) return void errorFrom(response).then(reject, reject);
      let json: unknown;
      try {
        json = JSON.parse(xhr.responseText);
      } catch {
        json = undefined;
      }
      const parsed = schema.safeParse(json);
      if (!parsed.success) return reject(new ApiError('BAD_RESPONSE', 'unexpected response from server', xhr.status));
      resolve(parsed.data);
    };
    signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(form);
  });
}

export function uploadEvidence(caller: Caller, caseId: string, file: File, description: string, onProgress?: (fraction: number) => void, signal?: AbortSignal): Promise<EvidenceView> {
  const form = new FormData();
  if (description.trim()) form.append('description', description.trim());
  form.append('file', file, file.name);
  return upload(caller, `/api/cases/${id(caseId)}/evidence`, form, evidenceViewSchema, onProgress, signal);
}

/** 云鉴定: the report with the appraiser's signed statement of truthfulness. */
export function uploadAppraisal(caller: Caller, caseId: string, file: File, signaturePng: string, onProgress?: (fraction: number) => void, signal?: AbortSignal): Promise<EvidenceView> {
  const form = new FormData();
  form.append('consent', 'true');
  form.append('signaturePng', signaturePng);
  form.append('file', file, file.name);
  return upload(caller, `/api/cases/${id(caseId)}/appraisals`, form, evidenceViewSchema, onProgress, signal);
}
