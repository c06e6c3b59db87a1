// Who spoke when, derived from a finished audio segment itself: ffmpeg decodes it through
// `silencedetect` and the stretches that are not silence are speech. Derived from the stored
// file (not from the audio level the sender's browser claims in its RTP header), so anyone
// holding the package can derive the same bars again with the same command. ffmpeg only.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Quieter than this for at least `minSilenceSeconds` is silence. */
export const speechThresholdDb = -40;
const minSilenceSeconds = 0.4;
/** Speech shorter than this (a click, a cough) is not a bar. */
const minSpeechMs = 200;

/** [from, to] milliseconds from the segment's start where there is sound above the threshold. */
export async function speechActivity(file: string, durationMs: number): Promise<[number, number][]> {
  const { stderr } = await run(
    'ffmpeg',
    ['-hide_banner', '-nostats', '-nostdin', '-i', file, '-map', '0:a:0', '-af', `silencedetect=noise=${speechThresholdDb}dB:d=${minSilenceSeconds}`, '-f', 'null', '-'],
    { timeout: 30_000, maxBuffer: 4 * 2 ** 20 },
  );
  return speechFromSilences(stderr, durationMs);
}

/** The complement of silencedetect's report within [0, durationMs]. */
export function speechFromSilences(log: string, durationMs: number): [number, number][] {
  const silences: [number, number][] = [];
  let open: number | null = null;
  for (const match of log.matchAll(/silence_(start|end): (-?[\d.]+)/g)) {
    const ms = Math.max(0, Math.round(Number(match[2]) * 1000));
    if (match[1] === 'start') open = ms;
    else {
      silences.push([open ?? 0, ms]);
      open = null;
    }
  }
  if (open !== null) silences.push([open, durationMs]);
  const speech: [number, number][] = [];
  let at = 0;
  for (const [from, to] of silences) {
    if (from - at >= minSpeechMs) speech.push([at, Math.min(from, durationMs)]);
    at = Math.max(at, to);
  }
  if (durationMs - at >= minSpeechMs) speech.push([at, durationMs]);
  return speech;
}
