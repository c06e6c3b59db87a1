// Spoken Mandarin for the weak-link bench's microphones, synthesised by espeak-ng (Debian's
// `espeak-ng`) and resampled by ffmpeg to 48 kHz mono 16-bit PCM, the WAV Chromium's fake
// capture reads (and loops). Unlike the harmonic tone of writeSpeechLikeWav, it moves in pitch,
// loudness and spectrum as speech does, so Opus's voice activity detector treats it as speech,
// which is what decides whether a frame gets in-band FEC (SILK's LBRR).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A mediator's opening words, about 22 s with the pauses of its commas and full stops. */
const words = '您好，我是调解员林海。今天我们就渔船碰撞的赔偿问题进行调解。请双方先说明各自的损失情况，船体、渔网和误工的费用。';

export function writeTtsSpeechWav(file: string): string {
  const raw = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'haiqiao-tts-')), 'speech.wav');
  try {
    execFileSync('espeak-ng', ['-v', 'cmn', '-s', '150', '-w', raw, words]);
  } catch (error) {
    throw new Error(`--speech tts needs espeak-ng (apt-get install espeak-ng): ${(error as Error).message}`);
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-i', raw, '-ar', '48000', '-ac', '1', '-sample_fmt', 's16', file]);
  fs.rmSync(path.dirname(raw), { recursive: true, force: true });
  return file;
}
