/**
 * The maritime court's steps on the court desk: its staff accounts, the clerk accepting an
 * application from the queue, the judge starting the review and confirming with reasons until the
 * sealed ruling can be downloaded.
 */
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { createOrganisation, createStaffUser } from '../../../server/modules/admin/admin.service.ts';
import type { OrganisationId } from '../../../shared/ids.ts';
import type { E2eServer } from '../../helpers/browser.ts';
import { clickFor, poll } from './common.ts';

export interface CourtAccount {
  username: string;
  password: string;
  displayName: string;
}

/** The Ningbo Maritime Court (whose staff also cover its Wenzhou tribunal) with a clerk and a judge. */
export async function createNingboCourt(server: E2eServer, password = 'court-e2e-password-2026'): Promise<{ clerk: CourtAccount; judge: CourtAccount }> {
  const db = server.database.db;
  const court = await createOrganisation(db, null, { kind: 'maritime_court', name: '宁波海事法院', courtCode: 'ningbo' });
  const clerk = { username: 'zhou.clerk', password, displayName: '周书记员' };
  const judge = { username: 'wu.judge', password, displayName: '吴法官' };
  for (const [who, role] of [[clerk, 'clerk'], [judge, 'judge']] as const) {
    await createStaffUser(db, null, { organisationId: court.id as OrganisationId, username: who.username, displayName: who.displayName, role, password });
  }
  return { clerk, judge };
}

/** From the court queue: opens the application. */
export async function openFromQueue(page: Page, confirmationId: string): Promise<void> {
  await page.locator(`[data-testid="queue-row"][data-confirmation-id="${confirmationId}"] a`).click();
  await page.waitForURL((url) => url.pathname === `/court/confirmations/${confirmationId}`);
  await page.getByTestId('agreement-section').waitFor();
}

/** On the application's page: the clerk accepts it. */
export async function clerkAccepts(page: Page): Promise<void> {
  await clickFor(page, page.getByTestId('accept'), 'POST', /\/accept$/, 200);
  await expect.poll(() => page.getByTestId('confirmation-status').getAttribute('data-status'), poll).toBe('accepted');
}

/** On the application's page: the judge starts the review. */
export async function judgeStartsReview(page: Page): Promise<void> {
  await clickFor(page, page.getByTestId('start-review'), 'POST', /\/review$/, 200);
  await expect.poll(() => page.getByTestId('confirmation-status').getAttribute('data-status'), poll).toBe('under_review');
}

/**
 * The judge confirms the agreement with `reason` (the page asks first: accept dialogs) and waits
 * until the sealed ruling can be downloaded; returns the ruling number.
 */
export async function judgeConfirms(page: Page, reason: string): Promise<string> {
  await page.getByTestId('decision-confirmed').check();
  await page.getByTestId('decide-reason').fill(reason);
  await clickFor(page, page.getByTestId('decide-submit'), 'POST', /\/decide$/, 200);
  await expect.poll(() => page.getByTestId('confirmation-status').getAttribute('data-status'), poll).toBe('confirmed');
  const rulingNumber = (await page.getByTestId('ruling-number').textContent())!.trim();
  expect(rulingNumber).toMatch(/^（\d{4}）浙72民特\d+号$/);
  // The ruling is sealed after commit; the page looks again until its link is there.
  await page.getByTestId('ruling-pdf-download').waitFor({ timeout: 30_000 });
  return rulingNumber;
}
