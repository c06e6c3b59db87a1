/**
 * The mediator's agreement steps on the case page: draft from the collision template, save a
 * version, send for signing, issue a lawyer's one-time code, wait for the seal, file for judicial
 * confirmation. Each waits for the server's answer and for the page to show it.
 */
import type { Locator, Page } from 'playwright-core';
import { expect } from 'vitest';
import { clickFor, poll } from './common.ts';

export interface CollisionTermsInput {
  facts: string;
  /** A lawyer listed in the agreement and authorised to sign for the party they represent. */
  signingAgentParticipantId?: string;
  injured: { name: string; medical: string; lostIncome: string };
  vesselLoss: string;
  /** Instalments (amounts in yuan as typed, due dates YYYY-MM-DD); the editor starts with one row. */
  obligations: { description: string; amount: string; due: string }[];
}

export interface SavedAgreement {
  id: string;
  currentVersion: { id: string; number: number; sha256: string; text: string };
}

/** Opens a new agreement from the collision template; returns its editor (the case's facts are filled in). */
export async function startCollisionDraft(desk: Page): Promise<Locator> {
  const section = desk.getByTestId('agreements-section');
  await section.getByTestId('agreement-new').click();
  const editor = section.getByTestId('agreement-editor');
  await editor.getByTestId('agreement-template-collision_injury').check();
  return editor;
}

/** Fills the collision template's fields: facts, the signing lawyer, the injured person, the vessel loss, instalments. */
export async function fillCollisionDraft(editor: Locator, input: CollisionTermsInput): Promise<void> {
  await editor.getByTestId('agreement-facts').fill(input.facts);
  if (input.signingAgentParticipantId) {
    await editor.locator(`[data-testid="agreement-agent-include"][data-participant-id="${input.signingAgentParticipantId}"]`).check();
    await editor.locator(`[data-testid="agreement-agent-may-sign"][data-participant-id="${input.signingAgentParticipantId}"]`).check();
  }
  await editor.getByTestId('agreement-person-add').click();
  const person = editor.getByTestId('agreement-person').first();
  await person.getByTestId('agreement-person-name').fill(input.injured.name);
  await person.getByTestId('agreement-person-medicalFen').fill(input.injured.medical);
  await person.getByTestId('agreement-person-lostIncomeFen').fill(input.injured.lostIncome);
  await editor.getByTestId('agreement-vessel-loss').fill(input.vesselLoss);
  const rows = editor.getByTestId('agreement-obligation');
  for (const [i, obligation] of input.obligations.entries()) {
    if (i > 0) await editor.getByTestId('agreement-obligation-add').click();
    const row = rows.nth(i);
    await row.getByTestId('agreement-obligation-description').fill(obligation.description);
    await row.getByTestId('agreement-obligation-amount').fill(obligation.amount);
    await row.getByTestId('agreement-obligation-due').fill(obligation.due);
  }
}

/** Saves a new draft as version 1 (201); returns the agreement once the page shows its panel. */
export async function saveFirstVersion(desk: Page, editor: Locator): Promise<SavedAgreement> {
  const saved = await clickFor<SavedAgreement>(desk, editor.getByTestId('agreement-save'), 'POST', /^\/api\/cases\/[^/]+\/agreements$/, 201);
  await expect.poll(() => agreementPanel(desk).getByTestId('agreement-version-number').textContent(), poll).toBe('第 1 版');
  return saved;
}

/** Saves the open editor of an existing agreement as its next version; returns it once shown. */
export async function saveNextVersion(desk: Page, editor: Locator): Promise<SavedAgreement> {
  const saved = await clickFor<SavedAgreement>(desk, editor.getByTestId('agreement-save'), 'POST', /^\/api\/agreements\/[^/]+\/versions$/, 200);
  await expect.poll(() => agreementPanel(desk).getByTestId('agreement-version-number').textContent(), poll).toBe(`第 ${saved.currentVersion.number} 版`);
  return saved;
}

export const agreementPanel = (desk: Page) => desk.getByTestId('agreements-section').getByTestId('agreement-panel');

export async function sendForSigning(desk: Page): Promise<void> {
  const panel = agreementPanel(desk);
  await clickFor(desk, panel.getByTestId('agreement-to-signing'), 'POST', /\/transitions$/, 200);
  await expect.poll(() => panel.getByTestId('agreement-status').getAttribute('data-status'), poll).toBe('signing');
}

/** Issues the one-time code an agent signs with; returns it as the page shows it. */
export async function issueSigningCode(desk: Page, forPartyId: string, agentParticipantId: string): Promise<string> {
  const eligible = agreementPanel(desk).locator(`[data-testid="agreement-signer"][data-party-id="${forPartyId}"] [data-testid="agreement-eligible"][data-participant-id="${agentParticipantId}"]`);
  const { code } = await clickFor<{ code: string }>(desk, eligible.getByTestId('agreement-issue-code'), 'POST', /\/signing-codes$/, 200);
  await expect.poll(() => eligible.getByTestId('agreement-signing-code').textContent(), poll).toBe(code);
  expect(code).toMatch(/^\d{6}$/);
  return code;
}

/** Reloads the agreement until it is sealed (sealing runs after the last signature). */
export async function waitUntilSealed(desk: Page): Promise<void> {
  const panel = agreementPanel(desk);
  await panel.getByTestId('agreement-reload').click();
  await expect.poll(() => panel.getByTestId('agreement-status').getAttribute('data-status'), { timeout: 30_000, interval: 200 }).toBe('sealed');
  await panel.getByTestId('agreement-sealed-pdf').waitFor();
}

/** Files the sealed agreement for judicial confirmation (the page asks first: accept dialogs); returns the application's id. */
export async function fileForConfirmation(desk: Page): Promise<string> {
  const panel = agreementPanel(desk);
  const { id } = await clickFor<{ id: string }>(desk, panel.getByTestId('agreement-file-confirmation'), 'POST', /\/confirmation$/, 201);
  await expect.poll(() => panel.getByTestId('agreement-confirmation').getByTestId('agreement-confirmation-status').getAttribute('data-status'), poll).toBe('filed');
  return id;
}
