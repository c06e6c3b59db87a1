/**
 * Failures of the agreement, evidence and follow-up calls in words: the server's own English
 * messages for these routes are translated here (the generic ones by i18n.schemaMessage), and
 * field errors are placed by the path the schema and the server both use.
 */
import { evidenceMaxBytes } from '../../../../shared/api/evidence.ts';
import { errorText, type FormState } from '../../lib/form.svelte.ts';
import { ApiError } from '../../lib/http.ts';
import { i18n } from '../../lib/i18n.svelte.ts';
import * as messages from './server-text.messages.ts';

const t = i18n.scoped(messages);
type Key = Parameters<typeof t>[0];

/** Server (and client-side twin) messages → our keys. Anchored, so an unrelated message never matches. */
const known: [RegExp, Key][] = [
  [/^not a party of this case$/, 'notPartyOfCase'],
  [/^not a vessel of this case$/, 'notVesselOfCase'],
  [/^not evidence of this case$/, 'notEvidenceOfCase'],
  [/^not an agent of this case$/, 'notAgentOfCase'],
  [/^not a participant of this case$/, 'notParticipantOfCase'],
  [/^a party cannot be on both sides or twice$/, 'bothSides'],
  [/^must be one of the agreement.s parties$/, 'obligorNotParty'],
  [/^the agent does not act for that party$/, 'agentNotForParty'],
  [/^nothing changed since the last version$/, 'nothingChanged'],
  [/^a new version keeps the agreement.s template$/, 'keepTemplate'],
  [/^agreements are drafted while the case is mediating/, 'caseNotMediating'],
  [/^the agreement is \w+ and can no longer change$/, 'agreementFrozen'],
  [/^an agreement cannot go from \w+ to \w+$/, 'wrongAgreementState'],
  [/^the agreement changed meanwhile/, 'changedMeanwhile'],
  [/^only a signed and sealed agreement can be filed$/, 'onlySealedFiled'],
  [/^the 30-day period for applying ended/, 'applyPeriodOver'],
  [/^an application is already pending$/, 'applicationPending'],
  [/^the parties did not agree to apply/, 'noConfirmationAgreed'],
  [/^already recorded as fulfilled$/, 'alreadyFulfilled'],
  [/its obligations are no longer tracked$/, 'obligationsNotTracked'],
  [/^upload a photo \(JPEG, PNG, WebP\) or a PDF$/, 'fileType'],
  [/^files may be at most \d+ MB$/, 'fileTooLarge'],
  [/^the file is empty$/, 'fileEmpty'],
  [/^attach the file in a field named/, 'fileMissing'],
  [/^the case is \w+; no new evidence$/, 'caseEnded'],
  [/^all, mediator or a party id$/, 'sharedWithInvalid'],
];

/** Our words for one of these routes' messages, or null when it is not one of them. */
export function serverText(message: string): string | null {
  for (const [pattern, key] of known) {
    if (pattern.test(message)) return t(key, { mb: evidenceMaxBytes / 1024 / 1024 });
  }
  return null;
}

/** The client-side twins of server messages, so a check in the browser reads the same as the server's. */
export const clientText = {
  fileType: 'upload a photo (JPEG, PNG, WebP) or a PDF',
  fileTooLarge: `files may be at most ${evidenceMaxBytes / 1024 / 1024} MB`,
  fileEmpty: 'the file is empty',
  fileMissing: 'attach the file in a field named "file"',
} as const;

/** A readable sentence for any failure of these calls. */
export function explain(error: unknown): string {
  if (error instanceof ApiError) {
    // A 400 says "terms.agents.1.forPartyId: <message>"; its issues carry the bare message.
    for (const message of [error.issues[0]?.message, error.message.replace(/^[\w.()]+: /, '')]) {
      const known = message === undefined ? null : serverText(message);
      if (known) return known;
    }
  }
  return errorText(error);
}

/** The message for the input at `path`, in the current language. */
export function fieldMessage(form: FormState, path: string): string | undefined {
  const raw = form.fieldErrors[path];
  if (raw === undefined) return undefined;
  return serverText(raw) ?? form.error(path);
}

/** The first message at `prefix` or anywhere below it ("terms.vesselIds" covers "terms.vesselIds.1"). */
export function groupMessage(form: FormState, prefix: string): string | undefined {
  const path = Object.keys(form.fieldErrors).find((p) => p === prefix || p.startsWith(`${prefix}.`));
  return path === undefined ? undefined : fieldMessage(form, path);
}

/** Records a message (one of `clientText`) at a field, as the server would. */
export function setFieldText(form: FormState, path: string, text: string): void {
  form.fieldErrors = { ...form.fieldErrors, [path]: text };
}

/**
 * form.run, but a failure that names no field is worded by `explain`, so conflicts such as "the
 * 30 days are over" read as a sentence in the current language.
 */
export async function runForm<T>(form: FormState, action: () => Promise<T>): Promise<T | undefined> {
  let failure: unknown = null;
  const result = await form.run(async () => {
    try {
      return await action();
    } catch (error) {
      failure = error;
      throw error;
    }
  });
  if (failure instanceof ApiError && failure.issues.length === 0 && !failure.field) {
    const error = failure;
    form.setMessage(() => explain(error));
  }
  return result;
}
