import { describe, expect, it } from 'vitest';
import { isValidResidentId, isValidUnifiedSocialCreditCode, maskIdNumber } from '../../../shared/domain/id-numbers.ts';
import { partyInputSchema } from '../../../shared/domain/parties.ts';
import { mmsiSchema } from '../../../shared/domain/vessels.ts';

describe('identity numbers', () => {
  it('accepts a resident ID with the right check digit and refuses a wrong one', () => {
    expect(isValidResidentId('11010519491231002X')).toBe(true);
    expect(isValidResidentId('110105194912310021')).toBe(false);
    expect(isValidResidentId('1101051949123100')).toBe(false);
  });
  it('validates unified social credit codes', () => {
    expect(isValidUnifiedSocialCreditCode('91350100M000100Y43')).toBe(true);
    expect(isValidUnifiedSocialCreditCode('91350100M000100Y44')).toBe(false);
  });
  it('masks all but the first two and the last character', () => {
    expect(maskIdNumber('11010519491231002X')).toBe('11***************X');
    expect(maskIdNumber('11010519491231002X')).not.toContain('002');
  });
  it('names the field at fault for a bad party', () => {
    const result = partyInputSchema.safeParse({ kind: 'person', name: '陈阿海', idType: 'resident_id', idNumber: '110105194912310021' });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['idNumber']);
  });
  it('requires MMSI to be exactly nine digits', () => {
    expect(mmsiSchema.safeParse('412345678').success).toBe(true);
    for (const bad of ['41234567', '4123456789', '41234567a', '']) expect(mmsiSchema.safeParse(bad).success).toBe(false);
  });
});
