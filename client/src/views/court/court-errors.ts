/**
 * Failures of a court action in words a clerk or judge understands: a 409 from the wrong state
 * says which state the application is in; a 400 names the field at fault.
 */
import { confirmationStatuses, type ConfirmationStatus } from '../../../../shared/domain/agreements.ts';
import { ApiError } from '../../lib/http.ts';
import { errorText } from '../../lib/form.svelte.ts';
import { i18n } from '../../lib/i18n.svelte.ts';
import * as messages from './court.messages.ts';

const t = i18n.scoped(messages);

const isStatus = (value: string | undefined): value is ConfirmationStatus => (confirmationStatuses as readonly string[]).includes(value ?? '');
const statusLabel = (value: string | undefined) => (isStatus(value) ? t(`status.${value}`) : (value ?? ''));

/** The server's English reason for a 409, in the current language when we know it. */
function conflictDetail(message: string): string {
  const wrong = /^an application cannot go from (\w+) to (\w+)$/.exec(message);
  if (wrong) return t('actions.wrongState', { from: statusLabel(wrong[1]), to: statusLabel(wrong[2]) });
  const state = /^the application is (\w+)$/.exec(message);
  if (state) return t('actions.stateIs', { status: statusLabel(state[1]) });
  if (message === 'start the review first') return t('actions.reviewFirst');
  if (message === 'the review period has already been extended once') return t('actions.extendOnce');
  if (message.startsWith('the application changed meanwhile')) return t('actions.changedMeanwhile');
  return i18n.schemaMessage(message);
}

/**
 * A sentence for a failed court action. `labels` maps the fields the form shows to their labels,
 * so that a 400 naming another field still says which one.
 */
export function courtErrorText(error: unknown, labels: Record<string, string> = {}): string {
  if (error instanceof ApiError && error.code === 'CONFLICT') return t('actions.conflict', { detail: conflictDetail(error.message) });
  if (error instanceof ApiError && error.code === 'VALIDATION_FAILED' && error.field) {
    return t('actions.fieldError', { field: labels[error.field] ?? error.field, message: i18n.schemaMessage(error.message) });
  }
  return errorText(error);
}
