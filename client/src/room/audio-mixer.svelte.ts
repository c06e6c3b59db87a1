/**
 * Measures the voices a person receives at the gain their interpretation choices give each one
 * (interpretation.svelte.ts): per voice, what arrives and what is heard after a GainNode set to
 * the same gain as the voice's <audio> element volume (an original under the interpretation at
 * −12 dB). The elements play the sound: a muted element with the voice played through WebAudio
 * instead left Chromium's receiver unplayed (no audio energy counted, silence in the room), so
 * this graph only listens and is never connected to the speakers.
 */

interface Chain {
  track: MediaStreamTrack;
  source: MediaStreamAudioSourceNode;
  /** Before the gain: what arrives. */
  arriving: AnalyserNode;
  gain: GainNode;
  /** After the gain: what the person hears. */
  heard: AnalyserNode;
}

export interface MixedVoice {
  consumerId: string;
  track: MediaStreamTrack;
  gain: number;
}

export class AudioMixer {
  #ctx: AudioContext | null = null;
  readonly #chains = new Map<string, Chain>();

  #context(): AudioContext | null {
    if (this.#ctx) return this.#ctx;
    if (typeof AudioContext === 'undefined') return null;
    this.#ctx = new AudioContext();
    return this.#ctx;
  }

  /** After a tap: lets the context run where the browser waited for one. */
  resume(): void {
    const ctx = this.#context();
    if (ctx?.state === 'suspended') void ctx.resume().catch(() => undefined);
  }

  /** The voices now received and their gains: chains for new ones, gone ones dropped. */
  sync(voices: MixedVoice[]): void {
    const ctx = this.#context();
    if (ctx?.state === 'suspended') void ctx.resume().catch(() => undefined);
    const wanted = new Set(voices.map((v) => v.consumerId));
    for (const [id, chain] of this.#chains) if (!wanted.has(id)) this.#drop(id, chain);
    for (const voice of voices) {
      if (!ctx) continue;
      let chain = this.#chains.get(voice.consumerId);
      if (chain && chain.track !== voice.track) {
        this.#drop(voice.consumerId, chain);
        chain = undefined;
      }
      chain ??= this.#chain(ctx, voice);
      // A short ramp: no click when the choice changes.
      chain.gain.gain.setTargetAtTime(voice.gain, ctx.currentTime, 0.02);
    }
  }

  /** RMS levels (0…1) arriving and heard, per voice: the browser tests read them. */
  levels(): { consumerId: string; gain: number; arriving: number; heard: number }[] {
    return [...this.#chains].map(([consumerId, chain]) => ({ consumerId, gain: chain.gain.gain.value, arriving: rms(chain.arriving), heard: rms(chain.heard) }));
  }

  close(): void {
    for (const [id, chain] of this.#chains) this.#drop(id, chain);
    void this.#ctx?.close().catch(() => undefined);
    this.#ctx = null;
  }

  #chain(ctx: AudioContext, voice: MixedVoice): Chain {
    const source = ctx.createMediaStreamSource(new MediaStream([voice.track]));
    const arriving = ctx.createAnalyser();
    const gain = ctx.createGain();
    const heard = ctx.createAnalyser();
    arriving.fftSize = heard.fftSize = 2048;
    gain.gain.value = voice.gain;
    source.connect(arriving);
    source.connect(gain).connect(heard);
    const chain = { track: voice.track, source, arriving, gain, heard };
    this.#chains.set(voice.consumerId, chain);
    return chain;
  }

  #drop(id: string, chain: Chain): void {
    chain.source.disconnect();
    chain.gain.disconnect();
    this.#chains.delete(id);
  }
}

function rms(analyser: AnalyserNode): number {
  const samples = new Float32Array(analyser.fftSize);
  analyser.getFloatTimeDomainData(samples);
  let sum = 0;
  for (const s of samples) sum += s * s;
  return Math.sqrt(sum / samples.length);
}
