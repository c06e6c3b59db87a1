import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { enEnums, enMessages } from '../../client/src/lib/locales/en.ts';
import { zhEnums, zhMessages } from '../../client/src/lib/locales/zh-CN.ts';
import { caseStatuses, disputeTypes, provinces, seaAreas } from '../../shared/domain/cases.ts';
import { courtCodes, courts } from '../../shared/domain/courts.ts';
import { idTypes } from '../../shared/domain/id-numbers.ts';
import { participantRoles } from '../../shared/domain/participants.ts';
import { sessionStatuses } from '../../shared/domain/sessions.ts';
import { errorCodes } from '../../shared/errors.ts';

// The set of placeholders: a language may say one of them twice ("超过 {cap}，按 {cap} 计").
const placeholders = (text: string) => [...new Set([...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]))].sort();

/** Areas keep their own messages next to their views (`*.messages.ts`, exporting zh and en). */
const scopedModules = (fs.readdirSync('client/src', { recursive: true, encoding: 'utf8' }) as string[]).filter((f) => f.endsWith('.messages.ts')).map((f) => path.join('client/src', f));

function expectSameKeys(zh: Record<string, string>, en: Record<string, string>, where: string) {
  expect(Object.keys(en).sort(), where).toEqual(Object.keys(zh).sort());
  for (const [key, text] of Object.entries(zh)) {
    expect(text.trim(), `${where}: ${key}`).not.toBe('');
    expect(en[key]!.trim(), `${where}: ${key}`).not.toBe('');
    expect(placeholders(en[key]!), `${where}: ${key}`).toEqual(placeholders(text));
  }
}

describe('locales', () => {
  it('English has exactly the Chinese keys, none empty, with the same placeholders', () => {
    expectSameKeys(zhMessages, enMessages, 'locales');
  });

  it('finds the areas’ message modules', () => {
    expect(scopedModules.length).toBeGreaterThanOrEqual(5);
  });

  it.each(scopedModules)('%s: English has exactly the Chinese keys, with the same placeholders', async (file) => {
    const module = (await import(path.resolve(file))) as { zh?: Record<string, string>; en?: Record<string, string> };
    expect(module.zh, `${file} exports zh`).toBeTypeOf('object');
    expect(module.en, `${file} exports en`).toBeTypeOf('object');
    expectSameKeys(module.zh!, module.en!, file);
  });

  it('labels every value of every enum in both languages', () => {
    const expectations: [string, readonly string[]][] = [
      ['disputeType', disputeTypes],
      ['seaArea', seaAreas],
      ['province', provinces],
      ['caseStatus', caseStatuses],
      ['sessionStatus', sessionStatuses],
      ['participantRole', participantRoles],
      ['idType', idTypes],
      ['errorCode', errorCodes],
    ];
    for (const labels of [zhEnums, enEnums]) {
      for (const [name, values] of expectations) {
        const record = labels[name as keyof typeof labels] as Record<string, string>;
        for (const value of values) expect(record[value]?.trim(), `${name}.${value}`).toBeTruthy();
      }
    }
  });

  it('has both names for every court', () => {
    for (const code of courtCodes) {
      expect(courts[code].name).toMatch(/海事法院/);
      expect(courts[code].nameEn).toMatch(/Maritime Court/);
    }
  });
});
