/** A participant's steps in the live room's agreement panel (co-review). */
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { poll } from './common.ts';

/** Opens the agreement panel and waits until it shows version `n` of the case's agreement. */
export async function openAgreementPanel(page: Page, n: number): Promise<void> {
  await page.getByTestId('agreement-toggle').click();
  await expect.poll(() => page.getByTestId('agreement-panel').getAttribute('data-version'), poll).toBe(String(n));
}

/** Asks for a change from the open panel; waits until the request is listed. */
export async function askForChange(page: Page, text: string): Promise<void> {
  await page.getByTestId('comment-kind-change').check();
  await page.getByTestId('agreement-comment-input').fill(text);
  await page.getByTestId('agreement-comment-send').click();
  const listed = page.getByTestId('agreement-comment').filter({ hasText: text });
  await expect.poll(() => listed.count(), poll).toBe(1);
  expect(await listed.getAttribute('data-kind')).toBe('change_request');
}
