/**
 * One draft being written: the form values, their check against the shared schema (errors at the
 * fields), a live preview of the rendered text from the server, and saving as a new version.
 */
import type { z } from 'zod';
import { agreementDraftSchema, type AgreementView, type previewSchema } from '../../../../shared/api/agreements.ts';
import type { AgreementDraft } from '../../../../shared/domain/agreements.ts';
import { createAgreement, previewAgreement, saveAgreementVersion } from '../../lib/api.ts';
import { FormState } from '../../lib/form.svelte.ts';
import { i18n } from '../../lib/i18n.svelte.ts';
import { draftFromValues, type DraftValues } from './agreement-form.ts';
import { runForm } from './explain.ts';

export type Preview = z.infer<typeof previewSchema>;

const previewDelayMs = 600;

export class AgreementEditorState {
  readonly caseId: string;
  /** null while drafting a new agreement. */
  readonly agreementId: string | null;
  values = $state<DraftValues>() as DraftValues;
  readonly form = new FormState();
  preview = $state<Preview | null>(null);
  /** 'incomplete': the form does not pass the schema yet, so there is nothing to render. */
  previewStatus = $state<'idle' | 'loading' | 'ready' | 'incomplete' | 'failed'>('idle');
  previewFailure = $state<unknown>(null);
  private timer: ReturnType<typeof setTimeout> | undefined;
  private previewSeq = 0;

  constructor(caseId: string, agreementId: string | null, values: DraftValues) {
    this.caseId = caseId;
    this.agreementId = agreementId;
    this.values = values;
  }

  /** The draft if the form passes the conversion and the schema; `show` puts the errors at the fields. */
  private checked(show: boolean): AgreementDraft | null {
    const { draft, errors } = draftFromValues(this.values);
    const result = agreementDraftSchema.safeParse(draft);
    if (!show) return result.success && Object.keys(errors).length === 0 ? result.data : null;
    this.form.reset();
    for (const [path, key] of Object.entries(errors)) this.form.setFieldError(path, key);
    if (!this.form.check(agreementDraftSchema, draft)) return null;
    if (Object.keys(errors).length > 0) {
      this.form.setMessage(() => i18n.t('validation.formHasErrors'));
      return null;
    }
    return result.success ? result.data : null;
  }

  /** Called on every input: the preview follows the form after a short pause. */
  schedulePreview(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refreshPreview(false), previewDelayMs);
  }

  /**
   * Renders the draft on the server. `show` (a click) also marks the fields that are wrong; once
   * errors are showing, every change checks again, so they go away as they are fixed.
   */
  async refreshPreview(show = true): Promise<void> {
    clearTimeout(this.timer);
    const seq = ++this.previewSeq;
    const mark = show || this.form.hasErrors();
    const draft = this.checked(mark);
    if (!draft) {
      this.previewStatus = 'incomplete';
      return;
    }
    this.previewStatus = 'loading';
    this.previewFailure = null;
    try {
      const preview = await previewAgreement(this.caseId, draft);
      if (seq !== this.previewSeq) return;
      this.preview = preview;
      this.previewStatus = 'ready';
    } catch (error) {
      if (seq !== this.previewSeq) return;
      this.previewStatus = 'failed';
      this.previewFailure = error;
      if (mark) this.form.showError(error);
    }
  }

  /** Saves the form as the next immutable version (the first one for a new agreement). */
  async save(): Promise<AgreementView | undefined> {
    clearTimeout(this.timer);
    const draft = this.checked(true);
    if (!draft) return undefined;
    const agreementId = this.agreementId;
    return runForm(this.form, () => (agreementId ? saveAgreementVersion(agreementId, draft) : createAgreement(this.caseId, draft)));
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.previewSeq++;
  }
}
