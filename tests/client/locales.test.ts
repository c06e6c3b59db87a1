import { describe, expect, it } from 'vitest';
import { enEnums, enMessages } from '../../client/src/lib/locales/en';
import { zhEnums, zhMessages } from '../../client/src/lib/locales/zh-CN';
import { caseStatuses, disputeTypes, provinces, seaAreas } from '../../shared/domain/cases';
import { courtCodes, courts } from '../../shared/domain/courts';
import { idTypes } from '../../shared/domain/id-numbers';
import { participantRoles } from '../../shared/domain/participants';
import { sessionStatuses } from '../../shared/domain/sessions';
import { errorCodes } from '../../shared/errors';

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('locales', () => {
  it('English has exactly the Chinese keys, none empty, with the same placeholders', () => {
    expect(Object.keys(enMessages).sort()).toEqual(Object.keys(zhMessages).sort());
    for (const [key, zh] of Object.entries(zhMessages)) {
      const en = enMessages[key as keyof typeof enMessages];
      expect(zh.trim(), key).not.toBe('');
      expect(en.trim(), key).not.toBe('');
      expect(placeholders(en), key).toEqual(placeholders(zh));
    }
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
