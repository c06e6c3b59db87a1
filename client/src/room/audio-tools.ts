/** WebAudio helpers for the device check: a microphone level meter and a speaker test tone. */

let shared: AudioContext | null = null;

function context(): AudioContext | null {
  if (typeof AudioContext === 'undefined') return null;
  shared ??= new AudioContext();
  if (shared.state === 'suspended') void shared.resume().catch(() => undefined);
  return shared;
}

/** Calls `onLevel` (0…1) about ten times a second while the track is live; returns a stop function. */
export function meterLevel(track: MediaStreamTrack, onLevel: (level: number) => void): () => void {
  const ctx = context();
  if (!ctx) return () => undefined;
  const source = ctx.createMediaStreamSource(new MediaStream([track]));
  const analyser = ctx.createAnalyser();
  analyser.fftSize = 512;
  source.connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  const timer = setInterval(() => {
    analyser.getFloatTimeDomainData(samples);
    let sum = 0;
    for (const s of samples) sum += s * s;
    const rms = Math.sqrt(sum / samples.length);
    // Speech sits around 0.02–0.2 RMS: a square-root curve makes quiet voices visible.
    onLevel(Math.min(1, Math.sqrt(rms * 5)));
  }, 100);
  return () => {
    clearInterval(timer);
    source.disconnect();
    analyser.disconnect();
    onLevel(0);
  };
}

/** Two short soft beeps, so the person can hear whether their speaker works. */
export function playTestTone(): void {
  const ctx = context();
  if (!ctx) return;
  const start = ctx.currentTime + 0.05;
  for (const [offset, frequency] of [
    [0, 660],
    [0.45, 880],
  ] as const) {
    const oscillator = ctx.createOscillator();
    const gain = ctx.createGain();
    oscillator.type = 'sine';
    oscillator.frequency.value = frequency;
    gain.gain.setValueAtTime(0, start + offset);
    gain.gain.linearRampToValueAtTime(0.25, start + offset + 0.03);
    gain.gain.exponentialRampToValueAtTime(0.001, start + offset + 0.35);
    oscillator.connect(gain).connect(ctx.destination);
    oscillator.start(start + offset);
    oscillator.stop(start + offset + 0.4);
  }
}
