/**
 * State of one form: busy flag, a form-level message and messages per field. Field keys are the
 * paths the shared schemas and the server use ("parties.1.idNumber"), so a server answer lands
 * next to the input that caused it.
 */
import type { z } from 'zod';
import { fieldIssuesOf, type FieldIssue } from '../../../shared/errors.ts';
import { ApiError } from './http.ts';
import { i18n, type MessageKey } from './i18n.svelte.ts';

/** Marks a field error that is a message key of ours rather than text from a schema or the server. */
const keyMark = '@';

export class FormState {
  busy = $state(false);
  fieldErrors = $state<Record<string, string>>({});
  /** Computed on read so that the text follows a language switch. */
  private messageSource = $state<(() => string) | null>(null);
  /** Code of the last failure, for forms that word some failures themselves (e.g. wrong password). */
  lastErrorCode = $state<string | null>(null);

  /** Form-level message in the current language, or null. */
  get message(): string | null {
    return this.messageSource ? this.messageSource() : null;
  }

  setMessage(source: (() => string) | null): void {
    this.messageSource = source;
  }

  /** Message for a field, in the current language. */
  error(field: string): string | undefined {
    const raw = this.fieldErrors[field];
    if (raw === undefined) return undefined;
    return raw.startsWith(keyMark) ? i18n.t(raw.slice(keyMark.length) as MessageKey) : i18n.schemaMessage(raw);
  }

  hasErrors(): boolean {
    return this.messageSource !== null || Object.keys(this.fieldErrors).length > 0;
  }

  reset(): void {
    this.messageSource = null;
    this.lastErrorCode = null;
    this.fieldErrors = {};
  }

  setFieldError(field: string, key: MessageKey): void {
    this.fieldErrors = { ...this.fieldErrors, [field]: keyMark + key };
  }

  private setIssues(issues: FieldIssue[]): void {
    const errors: Record<string, string> = {};
    for (const issue of issues) errors[issue.field] ??= issue.message;
    this.fieldErrors = errors;
  }

  /** Checks `value` with the same schema the server uses; fills field errors and returns false if invalid. */
  check<S extends z.ZodType>(schema: S, value: unknown, prefix = ''): boolean {
    const result = schema.safeParse(value);
    if (result.success) return true;
    this.setIssues([...Object.entries(this.fieldErrors).map(([field, message]) => ({ field, message })), ...fieldIssuesOf(result.error, prefix)]);
    this.messageSource = () => i18n.t('validation.formHasErrors');
    return false;
  }

  /** Runs a submit action; an ApiError becomes field errors (if any) and a readable message. */
  async run<T>(action: () => Promise<T>): Promise<T | undefined> {
    if (this.busy) return undefined;
    this.busy = true;
    this.messageSource = null;
    this.lastErrorCode = null;
    try {
      const result = await action();
      this.fieldErrors = {};
      return result;
    } catch (error) {
      this.showError(error);
      return undefined;
    } finally {
      this.busy = false;
    }
  }

  showError(error: unknown): void {
    this.lastErrorCode = error instanceof ApiError ? error.code : 'INTERNAL';
    if (error instanceof ApiError) {
      const issues = error.issues.length > 0 ? error.issues : error.field ? [{ field: error.field, message: error.message }] : [];
      this.setIssues(issues);
      this.messageSource = issues.length > 0 ? () => i18n.t('validation.formHasErrors') : () => errorText(error);
    } else {
      console.error(error);
      this.messageSource = () => i18n.enums.errorCode.INTERNAL;
    }
  }
}

/** A readable sentence for any failure, for places that have no form. */
export function errorText(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.code === 'VALIDATION_FAILED' || error.code === 'CONFLICT') {
      const detail = i18n.schemaMessage(error.message);
      return i18n.locale === 'en' ? `${i18n.enums.errorCode[error.code]}: ${detail}` : `${i18n.enums.errorCode[error.code]}（${detail}）`;
    }
    return i18n.enums.errorCode[error.code];
  }
  return i18n.enums.errorCode.INTERNAL;
}
