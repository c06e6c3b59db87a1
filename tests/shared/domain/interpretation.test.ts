import { describe, expect, it } from 'vitest';
import { hearsInterpretation, languagePairSchema, originalGain, withChoice } from '../../../shared/domain/interpretation.ts';
import { participantInputSchema } from '../../../shared/domain/participants.ts';

describe('interpretation choices', () => {
  it('gives the original its gain per mode: full, silent, or −12 dB under the interpretation', () => {
    const choices = { a: 'interpretation', b: 'both' } as const;
    expect(originalGain(choices, 'a')).toBe(0);
    expect(20 * Math.log10(originalGain(choices, 'b'))).toBeCloseTo(-12, 6);
    expect(originalGain(choices, 'c')).toBe(1);
  });

  it('plays the interpretation only for a listener who chose it for someone present', () => {
    expect(hearsInterpretation({}, ['a', 'b'])).toBe(false);
    expect(hearsInterpretation({ a: 'both' }, ['a', 'b'])).toBe(true);
    // Chosen for someone now in a caucus elsewhere: no reason to hear the channel here.
    expect(hearsInterpretation({ x: 'interpretation' }, ['a', 'b'])).toBe(false);
  });

  it('stores only departures from the original', () => {
    expect(withChoice({}, 'a', 'both')).toEqual({ a: 'both' });
    expect(withChoice({ a: 'both', b: 'interpretation' }, 'a', 'original')).toEqual({ b: 'interpretation' });
  });

  it('an interpreter names two different languages; nobody else has a pair', () => {
    expect(languagePairSchema.safeParse({ from: 'minnan', to: 'putonghua' }).success).toBe(true);
    expect(languagePairSchema.safeParse({ from: 'minnan', to: 'minnan' }).success).toBe(false);
    expect(languagePairSchema.safeParse({ from: 'klingon', to: 'putonghua' }).success).toBe(false);
    expect(participantInputSchema.safeParse({ role: 'interpreter', displayName: '林翻译' }).error?.issues[0]?.path).toEqual(['languagePair']);
    expect(participantInputSchema.safeParse({ role: 'interpreter', displayName: '林翻译', languagePair: { from: 'fuzhou', to: 'putonghua' } }).success).toBe(true);
    expect(participantInputSchema.safeParse({ role: 'observer', displayName: '旁听', languagePair: { from: 'fuzhou', to: 'putonghua' } }).success).toBe(false);
  });
});
