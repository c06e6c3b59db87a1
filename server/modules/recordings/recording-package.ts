// A recording as one tar archive: manifest.json, SHA256SUMS (for `sha256sum -c`) and the
// segments under segments/<track>/<n>.mkv. Built with node-tar from a staging directory holding
// the two text files and links to the stored segments (followed when packed).
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import * as tar from 'tar';
import type { RecordingManifest } from '../../../shared/api/recordings.ts';

export async function packRecording(filesDir: string, manifest: RecordingManifest, segments: { fileKey: string; path: string; sha256: string }[]): Promise<Readable> {
  const staging = await mkdtemp(path.join(os.tmpdir(), 'haiqiao-recording-package-'));
  try {
    const manifestJson = `${JSON.stringify(manifest, null, 2)}\n`;
    await writeFile(path.join(staging, 'manifest.json'), manifestJson);
    await writeFile(path.join(staging, 'SHA256SUMS'), segments.map((s) => `${s.sha256}  ${s.path}\n`).join(''));
    for (const segment of segments) {
      await mkdir(path.join(staging, path.dirname(segment.path)), { recursive: true });
      await symlink(path.join(filesDir, segment.fileKey), path.join(staging, segment.path));
    }
    const stream = tar.create({ cwd: staging, follow: true, portable: true }, ['manifest.json', 'SHA256SUMS', ...segments.map((s) => s.path)]) as unknown as Readable;
    const cleanup = () => void rm(staging, { recursive: true, force: true });
    stream.once('end', cleanup);
    stream.once('error', cleanup);
    stream.once('close', cleanup);
    return stream;
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
}
