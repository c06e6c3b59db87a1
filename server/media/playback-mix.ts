// A playable file of a stretch of a recording, for the staff desk: every audio track's stored
// segments, each at its place in time, mixed into one Opus-in-WebM file (silence where nobody
// was recorded: gaps, pauses). Consecutive segments of a track are joined with ffmpeg's concat
// demuxer (one input per unbroken run, not per segment) and put in place with `adelay`. The
// browser then plays and seeks one ordinary file. ffmpeg only; no database.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface MixSegment {
  /** Absolute path of the stored Matroska segment. */
  file: string;
  startedAt: Date;
  endedAt: Date;
}

/** Segments of one track closer than this are one run (ffmpeg's segment boundaries leave a few ms). */
const joinMs = 500;

function runsOf(segments: MixSegment[]): MixSegment[][] {
  const runs: MixSegment[][] = [];
  for (const segment of [...segments].sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime())) {
    const last = runs.at(-1)?.at(-1);
    if (last && segment.startedAt.getTime() - last.endedAt.getTime() < joinMs) runs.at(-1)!.push(segment);
    else runs.push([segment]);
  }
  return runs;
}

/**
 * Writes `<dir>/playback.webm`: the tracks mixed from `from` for `durationMs` and returns its
 * path; the caller removes `dir` when the file is sent. Tracks: one list of segments per track.
 */
export async function mixPlayback(tracks: MixSegment[][], from: Date, durationMs: number): Promise<{ file: string; dir: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'haiqiao-playback-'));
  try {
    const inputs: string[] = [];
    const filters: string[] = [];
    let n = 0;
    for (const track of tracks) {
      for (const segments of runsOf(track)) {
        const list = path.join(dir, `run-${n}.ffconcat`);
        await writeFile(list, `ffconcat version 1.0\n${segments.map((s) => `file '${s.file.replaceAll("'", "'\\''")}'\n`).join('')}`);
        inputs.push('-f', 'concat', '-safe', '0', '-i', list);
        const offsetMs = segments[0]!.startedAt.getTime() - from.getTime();
        // A run that began before `from` is cut at its start; a later one is delayed to its place.
        filters.push(offsetMs >= 0 ? `[${n}:a]aresample=48000,adelay=${offsetMs}:all=1[a${n}]` : `[${n}:a]aresample=48000,atrim=start=${-offsetMs / 1000},asetpts=PTS-STARTPTS[a${n}]`);
        n++;
      }
    }
    const file = path.join(dir, 'playback.webm');
    const seconds = (durationMs / 1000).toFixed(3);
    if (n === 0) {
      // Nothing was recorded in this stretch: silence of its length, still a file that plays.
      await run('ffmpeg', ['-v', 'error', '-nostdin', '-f', 'lavfi', '-i', 'anullsrc=r=48000:cl=mono', '-t', seconds, '-c:a', 'libopus', '-b:a', '24k', '-f', 'webm', file], { timeout: 120_000 });
      return { file, dir };
    }
    const mixed = `${Array.from({ length: n }, (_, i) => `[a${i}]`).join('')}amix=inputs=${n}:duration=longest:normalize=0,apad[out]`;
    await run(
      'ffmpeg',
      ['-v', 'error', '-nostdin', ...inputs, '-filter_complex', [...filters, mixed].join(';'), '-map', '[out]', '-t', seconds, '-c:a', 'libopus', '-b:a', '32k', '-f', 'webm', file],
      { timeout: 300_000, maxBuffer: 2 ** 20 },
    );
    return { file, dir };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
