/** Checks on a chosen file before a long upload from a boat starts (pure, for tests). */
import { evidenceContentTypes, evidenceMaxBytes } from '../../../shared/api/evidence.ts';

export type FileProblem = 'too_large' | 'wrong_type' | 'empty';

/** What is wrong with a chosen file before uploading it, or null. Browsers may not know a type: the server sniffs. */
export function fileProblem(file: { size: number; type: string }): FileProblem | null {
  if (file.size === 0) return 'empty';
  if (file.size > evidenceMaxBytes) return 'too_large';
  if (file.type && !(evidenceContentTypes as readonly string[]).includes(file.type)) return 'wrong_type';
  return null;
}
