/**
 * Plain-language, large-button mode for people who read little and hold the phone in one hand
 * on a boat: bigger text and touch targets (≥ 48 px), the main action low in the thumb zone,
 * each step's instruction spoken on request. On by default for a party's invitation (the
 * fishermen), off for other roles; the person's own choice is remembered on this phone.
 * It is a class on <html>, so every page under the link (join, lobby, room, signing) follows it.
 */
import type { ParticipantRole } from '../../../shared/domain/participants.ts';

const storageKey = 'haiqiao.plain';

function storedChoice(): boolean | undefined {
  try {
    const value = localStorage.getItem(storageKey);
    return value === '1' ? true : value === '0' ? false : undefined;
  } catch {
    return undefined; // storage blocked (private mode, some in-app browsers): the role decides
  }
}

class PlainMode {
  on = $state(false);

  /** The default for this invitation's role, unless the person chose before. */
  startFor(role: ParticipantRole): void {
    this.#apply(storedChoice() ?? role === 'party');
  }

  toggle(): void {
    this.#apply(!this.on);
    try {
      localStorage.setItem(storageKey, this.on ? '1' : '0');
    } catch {
      // not remembered; still switched for this visit
    }
  }

  #apply(on: boolean): void {
    this.on = on;
    document.documentElement.classList.toggle('plain', on);
  }
}

export const plainMode = new PlainMode();
