/**
 * axe-core run in the page (through @axe-core/playwright, which drives playwright-core):
 * the serious and critical violations, each as "rule: target …" so a failure names the element.
 */
import AxeBuilder from '@axe-core/playwright';
import type { Page } from 'playwright-core';

export async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(' ')} — ${n.failureSummary ?? v.help}`));
}

/** Visible buttons and button-like links smaller than `min` px in either direction (touch targets). */
export function smallTargets(page: Page, min = 48): Promise<string[]> {
  return page.evaluate((least) => {
    const small: string[] = [];
    for (const el of document.querySelectorAll<HTMLElement>('button, a.button, [role="button"]')) {
      const box = el.getBoundingClientRect();
      if (box.width === 0 || box.height === 0 || getComputedStyle(el).visibility === 'hidden') continue;
      if (box.width < least || box.height < least) small.push(`${el.dataset.testid ?? el.textContent?.trim().slice(0, 20)} ${Math.round(box.width)}×${Math.round(box.height)}`);
    }
    return small;
  }, min);
}
