import { i18n } from '../lib/i18n.svelte.ts';

/** 850 → "850 kbps", 2400 → "2.4 Mbps". */
export function rate(kbps: number | null | undefined): string {
  if (kbps === null || kbps === undefined) return '–';
  if (kbps >= 1000) return i18n.t('check.mbps', { n: (kbps / 1000).toFixed(kbps >= 10_000 ? 0 : 1) });
  return i18n.t('check.kbps', { n: Math.round(kbps) });
}

export function orDash(value: number | null | undefined): string | number {
  return value === null || value === undefined ? '–' : Math.round(value);
}

/** First character of a name, for the placeholder when there is no picture. */
export function initialOf(name: string): string {
  return Array.from(name.trim())[0] ?? '?';
}
