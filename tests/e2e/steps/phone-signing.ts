/**
 * A signer's steps on the phone's signing page: page through the clauses, confirm identity (name
 * and the ID number's last four, or the mediator's one-time code), say their consent (recorded
 * from Chromium's fake microphone), consent, draw a signature with a finger (touch) or a mouse,
 * and sign.
 */
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { poll } from './common.ts';

/** A handwriting-like path inside the pad: a wave across, then a down stroke (pad-relative 0..1). */
const strokes = [
  Array.from({ length: 24 }, (_, i) => ({ x: 0.12 + (0.7 * i) / 23, y: 0.55 + 0.18 * Math.sin(i / 2.5) })),
  Array.from({ length: 10 }, (_, i) => ({ x: 0.45 + 0.02 * i, y: 0.2 + (0.6 * i) / 9 })),
];

/** The pad's box in the viewport (scrolled into view first: touches outside the viewport are lost). */
async function padBox(page: Page, testId: string): Promise<{ x: number; y: number; width: number; height: number }> {
  const pad = page.getByTestId(testId);
  await pad.scrollIntoViewIfNeeded();
  return (await pad.boundingBox())!;
}

/** Draws with a finger: CDP touch events, which Chromium turns into pointer events of type touch. */
export async function drawWithFinger(page: Page, testId: string): Promise<void> {
  const box = await padBox(page, testId);
  const cdp = await page.context().newCDPSession(page);
  const at = (p: { x: number; y: number }) => ({ x: box.x + p.x * box.width, y: box.y + p.y * box.height });
  for (const stroke of strokes) {
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [at(stroke[0]!)] });
    for (const p of stroke.slice(1)) await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [at(p)] });
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  }
  await cdp.detach();
}

export async function drawWithMouse(page: Page, testId: string): Promise<void> {
  const box = await padBox(page, testId);
  for (const stroke of strokes) {
    const [first, ...rest] = stroke;
    await page.mouse.move(box.x + first!.x * box.width, box.y + first!.y * box.height);
    await page.mouse.down();
    for (const p of rest) await page.mouse.move(box.x + p.x * box.width, box.y + p.y * box.height, { steps: 2 });
    await page.mouse.up();
  }
}

/** Pages through every clause to the last one, checking the progress as it goes; returns the count. */
export async function readToTheEnd(page: Page): Promise<number> {
  const progress = page.getByTestId('clause-progress');
  const total = Number(await progress.getAttribute('data-total'));
  expect(total).toBeGreaterThanOrEqual(5);
  for (let n = Number(await progress.getAttribute('data-index')); n < total; n += 1) {
    await expect.poll(() => progress.getAttribute('data-index'), poll).toBe(String(n));
    await expect.poll(() => page.getByTestId('to-sign').count()).toBe(0); // signing opens only at the end
    await page.getByTestId('clause-next').click();
  }
  await expect.poll(() => progress.getAttribute('data-index'), poll).toBe(String(total));
  await expect.poll(() => progress.textContent(), poll).toContain(`第 ${total} 条，共 ${total} 条`);
  return total;
}

export type SignerIdentity = { method: 'id_last4'; name: string; last4: string } | { method: 'one_time_code'; code: string };

/**
 * On the open sign form: records about two seconds of spoken consent (Chromium's fake microphone
 * is a real MediaStream) and presses "use"; waits until the server has it unless told otherwise.
 */
export async function recordConsent(page: Page, options: { waitUploaded?: boolean } = {}): Promise<void> {
  const box = page.getByTestId('spoken-consent');
  await page.getByTestId('consent-record').click();
  await expect.poll(() => box.getAttribute('data-state'), poll).toBe('recording');
  await page.waitForTimeout(1_800);
  await page.getByTestId('consent-stop').click();
  await expect.poll(() => box.getAttribute('data-state'), poll).toBe('recorded');
  await page.getByTestId('consent-use').click();
  if (options.waitUploaded !== false) await expect.poll(() => box.getAttribute('data-state'), { timeout: 30_000, interval: 100 }).toBe('uploaded');
}

/** On the open sign form: identity, spoken consent (unless already sent), consent and a drawn signature (not yet submitted). */
export async function fillSignForm(page: Page, identity: SignerIdentity, draw: 'finger' | 'mouse'): Promise<void> {
  expect(await page.getByTestId('sign-form').getAttribute('data-method')).toBe(identity.method);
  if ((await page.getByTestId('spoken-consent').getAttribute('data-state')) !== 'uploaded') await recordConsent(page);
  if (identity.method === 'id_last4') {
    await page.getByTestId('sign-name').fill(identity.name);
    await page.getByTestId('sign-last4').fill(identity.last4);
  } else {
    await page.getByTestId('sign-code').fill(identity.code);
  }
  await page.getByTestId('sign-consent').check();
  await (draw === 'finger' ? drawWithFinger : drawWithMouse)(page, 'signature-pad');
  await expect.poll(() => page.getByTestId('signature-pad').getAttribute('data-strokes'), poll).toBe(String(strokes.length));
}

/** From the signing page's first clause: read to the end, confirm identity, consent, draw, sign. */
export async function signOnPhone(page: Page, identity: SignerIdentity, draw: 'finger' | 'mouse'): Promise<void> {
  await expect.poll(() => page.getByTestId('signing-view').getAttribute('data-standing'), poll).toBe('to_sign');
  await readToTheEnd(page);
  await page.getByTestId('to-sign').click();
  await fillSignForm(page, identity, draw);
  await page.getByTestId('sign-submit').click();
  await expect.poll(() => page.getByTestId('signing-view').getAttribute('data-step'), poll).toBe('done');
}
