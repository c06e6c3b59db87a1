/** Identity document numbers: validation of the PRC resident ID (GB 11643-1999) and masking. */
export const idTypes = ['resident_id', 'passport', 'unified_social_credit_code', 'other'] as const;
export type IdType = (typeof idTypes)[number];

const residentIdWeights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const residentIdCheckChars = '10X98765432';

export function isValidResidentId(value: string): boolean {
  if (!/^\d{17}[\dX]$/.test(value)) return false;
  const sum = residentIdWeights.reduce((acc, weight, i) => acc + weight * Number(value[i]), 0);
  return residentIdCheckChars[sum % 11] === value[17];
}

/** Unified social credit code (GB 32100-2015): 18 characters with a mod-31 check character. */
const usccAlphabet = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const usccWeights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
export function isValidUnifiedSocialCreditCode(value: string): boolean {
  if (!/^[0-9A-HJ-NPQRTUWXY]{18}$/.test(value)) return false;
  const sum = usccWeights.reduce((acc, weight, i) => acc + weight * usccAlphabet.indexOf(value[i]!), 0);
  const check = (31 - (sum % 31)) % 31;
  return usccAlphabet[check] === value[17];
}

export function normaliseIdNumber(value: string): string {
  return value.trim().toUpperCase().replace(/\s+/g, '');
}

/**
 * Masked form shown in every response: the first two and the last character only. The last
 * digits stay hidden because they are what a party confirms when joining or signing.
 */
export function maskIdNumber(value: string): string {
  if (value.length <= 3) return '*'.repeat(value.length);
  return value.slice(0, 2) + '*'.repeat(value.length - 3) + value.slice(-1);
}
