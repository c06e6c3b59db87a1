/**
 * zh-CN first, English second. The chosen locale lives in localStorage; every lookup reads
 * `locale`, a $state, so templates re-render when the language is switched.
 */
import { courts, type CourtCode } from '../../../shared/domain/courts.ts';
import { beijingDayNumber, beijingTimeZone as timeZone } from '../../../shared/beijing-time.ts';
import { locales, type EnumLabels, type Locale } from './locales/types.ts';
import { zhEnums, zhMessages, zhSchemaMessages, type MessageKey } from './locales/zh-CN.ts';
import { formatFen } from './money.ts';

export { locales, type Locale, type MessageKey };

const storageKey = 'haiqiao.locale';

function storedLocale(): Locale {
  try {
    const value = localStorage.getItem(storageKey);
    if (value && (locales as readonly string[]).includes(value)) return value as Locale;
  } catch {
    // storage blocked (private mode, some in-app browsers): default below
  }
  return 'zh-CN';
}

type Params = Record<string, string | number>;

function fill(template: string, params?: Params): string {
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

interface EnglishStrings {
  messages: Record<MessageKey, string>;
  enums: EnumLabels;
}

class I18n {
  locale = $state<Locale>(storedLocale());
  /**
   * English is fetched when first chosen: most people never switch, so its strings stay out of
   * the join page's download (shown in Chinese for the moment it takes to arrive).
   */
  #en = $state<EnglishStrings | null>(null);

  constructor() {
    this.applyToDocument();
    if (this.locale === 'en') this.#loadEnglish();
  }

  setLocale(locale: Locale): void {
    this.locale = locale;
    try {
      localStorage.setItem(storageKey, locale);
    } catch {
      // not persisted; still switched for this page
    }
    this.applyToDocument();
    if (locale === 'en') this.#loadEnglish();
  }

  #loadEnglish(): void {
    if (this.#en) return;
    import('./locales/en.ts').then(
      ({ enEnums, enMessages }) => {
        this.#en = { messages: enMessages, enums: enEnums };
        this.applyToDocument();
      },
      // The chunk did not arrive (offline, or a tab older than a deploy): stay in Chinese; the
      // next switch to English tries again.
      () => {},
    );
  }

  get #english(): EnglishStrings | null {
    return this.locale === 'en' ? this.#en : null;
  }

  private applyToDocument(): void {
    document.documentElement.lang = this.locale;
    document.title = this.t('app.name');
  }

  /** Message by key, with `{name}` placeholders filled from `params`. */
  t(key: MessageKey, params?: Params): string {
    return fill((this.#english?.messages ?? zhMessages)[key], params);
  }

  /**
   * A translator for one area's own messages (a `*.messages.ts` module exporting `zh` and `en`),
   * so that strings travel in the chunk that uses them, not in the join page's bundle.
   */
  scoped<K extends string>(messages: { zh: Record<K, string>; en: Record<K, string> }): (key: K, params?: Params) => string {
    return (key, params) => fill((this.locale === 'en' ? messages.en : messages.zh)[key], params);
  }

  /** Enum labels of the current locale, e.g. `i18n.enums.caseStatus[status]`. */
  get enums(): EnumLabels {
    return this.#english?.enums ?? zhEnums;
  }

  court(code: CourtCode | string): string {
    const court = courts[code as CourtCode];
    if (!court) return code;
    return this.locale === 'en' ? court.nameEn : court.name;
  }

  amount(fen: number): string {
    return formatFen(fen);
  }

  /**
   * A validation message from a shared schema or the server (English) in the current locale:
   * known custom messages are translated, zod's generic ones mapped to a short equivalent.
   */
  schemaMessage(message: string): string {
    if (this.locale === 'zh-CN') {
      const known = zhSchemaMessages[message];
      if (known) return known;
    }
    const size = /^Too (small|big): expected (string|number|array) to (?:have|be) [<>]=(\d+)/.exec(message);
    if (size) {
      const [, direction, kind, limit] = size;
      const n = Number(limit);
      if (kind === 'string') return direction === 'small' ? (n <= 1 ? this.t('validation.required') : this.t('validation.minChars', { n })) : this.t('validation.maxChars', { n });
      if (kind === 'array') return this.t(direction === 'small' ? 'validation.chooseAtLeast' : 'validation.chooseAtMost', { n });
      return this.t(direction === 'small' ? 'validation.min' : 'validation.max', { n });
    }
    if (/received undefined$/.test(message)) return this.t('validation.required');
    if (/^Invalid option/.test(message)) return this.t('validation.chooseOne');
    if (/expected int, received number$/.test(message)) return this.t('validation.wholeNumber');
    if (/expected number, received NaN$/.test(message)) return this.t('validation.number');
    if (/^Too small/.test(message)) return this.t('validation.tooSmall');
    if (/^Too big/.test(message)) return this.t('validation.tooBig');
    if (/^Invalid/.test(message) && this.locale === 'zh-CN') return this.t('validation.invalid');
    return message;
  }

  /** Joins names the way each language lists them: 甲、乙 / A, B. */
  list(items: readonly string[]): string {
    return items.join(this.locale === 'en' ? ', ' : '、');
  }

  /** "2026年5月1日 09:30" / "1 May 2026, 09:30", always Beijing time. */
  dateTime(iso: string): string {
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return iso;
    return new Intl.DateTimeFormat(this.locale, {
      timeZone,
      year: 'numeric',
      month: 'long',
      day: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    }).format(date);
  }

  /** Shorter form for lists: "2026/05/01 09:30". */
  shortDateTime(iso: string): string {
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return iso;
    return new Intl.DateTimeFormat(this.locale, {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    }).format(date);
  }

  /**
   * Friendly time for people who are not at a desk: "明天 5月1日星期五 上午9:30".
   * Says today/tomorrow when that is true, because that is how people talk about a meeting.
   */
  friendlyDateTime(iso: string, now = new Date()): string {
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return iso;
    const yearOf = (d: Date) => new Intl.DateTimeFormat('en', { timeZone, year: 'numeric' }).format(d);
    const text = new Intl.DateTimeFormat(this.locale, {
      timeZone,
      year: yearOf(date) === yearOf(now) ? undefined : 'numeric',
      month: 'long',
      day: 'numeric',
      weekday: 'long',
      hour: 'numeric',
      minute: '2-digit',
      hour12: this.locale === 'zh-CN',
    }).format(date);
    const days = beijingDayNumber(date) - beijingDayNumber(now);
    if (days < -1 || days > 2) return text;
    const relative = new Intl.RelativeTimeFormat(this.locale, { numeric: 'auto' }).format(days, 'day');
    return `${relative} ${text}`;
  }
}

export const i18n = new I18n();
