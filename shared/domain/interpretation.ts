import { z } from 'zod';

/**
 * The interpreter and dialect channel. An interpreter participant has a language pair (a dialect
 * and 普通话, usually); in the room they speak into a channel of their own (an audio producer of
 * source `interpretation`), which only people in their space receive. Each listener chooses, per
 * person being interpreted, what they hear of that person.
 */
export const interpretationLanguages = ['putonghua', 'minnan', 'wenzhou', 'fuzhou', 'cantonese', 'hakka'] as const;
export type InterpretationLanguage = (typeof interpretationLanguages)[number];

export const languagePairSchema = z
  .object({ from: z.enum(interpretationLanguages), to: z.enum(interpretationLanguages) })
  .strict()
  .refine((p) => p.from !== p.to, { path: ['to'], message: 'an interpreter works between two different languages' });
export type LanguagePair = z.infer<typeof languagePairSchema>;

/**
 * What a listener hears of one person: their own voice only, the interpretation only (their
 * voice silent), or both with their voice lowered under the interpretation.
 */
export const listeningModes = ['original', 'interpretation', 'both'] as const;
export type ListeningMode = (typeof listeningModes)[number];

/** The original's level under the interpretation in `both`: −12 dB. */
export const loweredOriginalDb = -12;

/** A listener's choices: speaker's peer id → mode; a speaker not named is heard as the original. */
export const listeningChoicesSchema = z.record(z.string().max(64), z.enum(['interpretation', 'both']));
export type ListeningChoices = z.infer<typeof listeningChoicesSchema>;
/** At most this many people chosen per listener (a room is far smaller; bounds the stored row). */
export const maxListeningChoices = 40;

const dbToGain = (db: number) => 10 ** (db / 20);

/** The gain of a speaker's original voice for this listener. */
export function originalGain(choices: ListeningChoices, speakerPeerId: string): number {
  const mode = choices[speakerPeerId];
  if (mode === 'interpretation') return 0;
  if (mode === 'both') return dbToGain(loweredOriginalDb);
  return 1;
}

/**
 * Whether the listener hears the interpretation channels of their space: when they chose the
 * interpretation (alone or with the original) for anyone who is there with them now.
 */
export function hearsInterpretation(choices: ListeningChoices, speakersHere: Iterable<string>): boolean {
  for (const id of speakersHere) if (choices[id] !== undefined) return true;
  return false;
}

/** Applies one choice: `original` removes the entry (the default). */
export function withChoice(choices: ListeningChoices, speakerPeerId: string, mode: ListeningMode): ListeningChoices {
  const { [speakerPeerId]: _dropped, ...rest } = choices;
  return mode === 'original' ? rest : { ...rest, [speakerPeerId]: mode };
}
