/**
 * Reading a clause aloud with the browser's speech synthesis, in a Chinese voice (the agreement
 * is Chinese whatever language the page is in). Many phones load their voice list late; some
 * browsers have no Chinese voice, or no speech at all: `problem` then says which, and the view
 * shows a plain fallback message instead of failing silently.
 */
import { chineseVoice } from './voices.ts';

export type SpeechProblem = 'unsupported' | 'no_chinese_voice' | 'failed';

const voiceWaitMs = 1_500;
const startWaitMs = 4_000;

export class ReadAloud {
  /** Index of the clause being read, or null. */
  speaking = $state<number | null>(null);
  problem = $state<SpeechProblem | null>(null);
  #synth: SpeechSynthesis | null = typeof speechSynthesis === 'undefined' ? null : speechSynthesis;
  #generation = 0;

  get supported(): boolean {
    return this.#synth !== null;
  }

  /** Voices, waiting briefly for `voiceschanged` when the list is still empty. */
  async #voices(): Promise<SpeechSynthesisVoice[]> {
    const synth = this.#synth!;
    const now = synth.getVoices();
    if (now.length) return now;
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        synth.removeEventListener('voiceschanged', done);
        resolve(synth.getVoices());
      };
      const timer = setTimeout(done, voiceWaitMs);
      synth.addEventListener('voiceschanged', done);
    });
  }

  /** Reads `text` aloud as clause `index`; calling it again for the same clause stops. */
  async toggle(index: number, text: string): Promise<void> {
    if (this.speaking === index) return this.stop();
    this.stop();
    const synth = this.#synth;
    if (!synth) {
      this.problem = 'unsupported';
      return;
    }
    const generation = ++this.#generation;
    this.problem = null;
    this.speaking = index;
    const voices = await this.#voices();
    if (generation !== this.#generation) return;
    const voice = chineseVoice(voices);
    // A list without a Chinese voice means none; an empty list may still speak with the platform default.
    if (!voice && voices.length > 0) {
      this.speaking = null;
      this.problem = 'no_chinese_voice';
      return;
    }
    const utterance = new SpeechSynthesisUtterance(text);
    utterance.lang = voice?.lang ?? 'zh-CN';
    if (voice) utterance.voice = voice;
    utterance.rate = 0.9; // a little slower than default: legal text, read to someone listening carefully
    let started = false;
    const finish = (problem: SpeechProblem | null) => {
      clearTimeout(watchdog);
      if (generation !== this.#generation) return;
      this.speaking = null;
      if (problem) this.problem = problem;
    };
    // Nothing started within a few seconds (no speech engine behind the API): say so.
    const watchdog = setTimeout(() => {
      if (!started) {
        synth.cancel();
        finish(voices.length ? 'failed' : 'no_chinese_voice');
      }
    }, startWaitMs);
    utterance.onstart = () => (started = true);
    utterance.onend = () => finish(null);
    utterance.onerror = (event) => finish(event.error === 'canceled' || event.error === 'interrupted' ? null : voices.length ? 'failed' : 'no_chinese_voice');
    synth.speak(utterance);
  }

  stop(): void {
    this.#generation += 1;
    this.speaking = null;
    this.#synth?.cancel();
  }
}
