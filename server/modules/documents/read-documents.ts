// Use cases: list a case's sealed documents, and read one (by login or invitation, or by a signed link).
import type { ServiceContext } from '../../context.ts';
import { AppError, notFound } from '../../errors.ts';
import type { Caller } from '../../access/caller.ts';
import { loadCaseForCaller } from '../../access/case-loading.ts';
import { assertMayReadDocuments } from '../../access/roles.ts';
import * as agreementsRepo from '../agreements/agreements.repository.ts';

const linkSeconds = 4 * 3600;

/** The case's sealed agreements and rulings, each with a signed download link. */
export async function listCaseDocuments(ctx: ServiceContext, caller: Caller, caseId: string) {
  assertMayReadDocuments(caller);
  await loadCaseForCaller(ctx.db, caller, caseId, 'full');
  const rows = await agreementsRepo.documentsOfCase(ctx.db, caseId);
  return {
    items: rows.map((d) => ({ id: d.id, kind: d.kind, sha256: d.sha256, byteSize: d.byteSize, createdAt: d.createdAt.toISOString(), url: ctx.urls.sign(documentPath(d.id), linkSeconds) })),
  };
}

export const documentPath = (documentId: string) => `/api/documents/${documentId}/pdf`;

/**
 * A stored document and its bytes, for a caller who may read the case's whole file or a valid
 * signed link (`caller` null). The role is checked before the lookup, so the answer does not
 * depend on the id existing; a document in a case out of reach does not exist.
 */
export async function readDocument(ctx: ServiceContext, caller: Caller | null, documentId: string) {
  if (caller) assertMayReadDocuments(caller);
  const document = await agreementsRepo.findDocument(ctx.db, documentId);
  if (!document) throw notFound('document');
  if (caller) {
    await loadCaseForCaller(ctx.db, caller, document.caseId, 'full').catch((error: unknown) => {
      throw error instanceof AppError && error.code === 'UNAUTHENTICATED' ? error : notFound('document');
    });
  }
  const fileName = document.kind === 'ruling' ? '民事裁定书.pdf' : '调解协议书.pdf';
  return { fileName, bytes: await ctx.files.read(document.storageKey) };
}
