// Checks a downloaded recording package offline: every segment's SHA-256 against SHA256SUMS and
// against manifest.json, and nothing missing or extra. The same check without Node:
//   mkdir p && tar -xf package.tar -C p && (cd p && sha256sum -c SHA256SUMS)
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import * as tar from 'tar';
import { recordingManifestSchema } from '../../../shared/api/recordings.ts';

export interface PackageCheck {
  ok: boolean;
  files: number;
  problems: string[];
}

export async function checkRecordingPackage(file: string): Promise<PackageCheck> {
  const hashes = new Map<string, string>();
  const texts = new Map<string, string>();
  const parser = new tar.Parser({
    onReadEntry: (entry) => {
      const hash = createHash('sha256');
      const chunks: Buffer[] = [];
      const keepText = entry.path === 'manifest.json' || entry.path === 'SHA256SUMS';
      entry.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        if (keepText) chunks.push(chunk);
      });
      entry.on('end', () => {
        hashes.set(entry.path, hash.digest('hex'));
        if (keepText) texts.set(entry.path, Buffer.concat(chunks).toString('utf8'));
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    createReadStream(file).on('error', reject).pipe(parser).on('end', resolve).on('error', reject);
  });
  const problems: string[] = [];
  const parsed = recordingManifestSchema.safeParse(JSON.parse(texts.get('manifest.json') ?? 'null'));
  if (!parsed.success) return { ok: false, files: 0, problems: ['manifest.json is missing or not a recording manifest'] };
  const sums = new Map(
    (texts.get('SHA256SUMS') ?? '')
      .split('\n')
      .filter(Boolean)
      .map((line) => [line.slice(66), line.slice(0, 64)] as const),
  );
  const listed = new Set([...sums.keys(), ...Object.keys(parsed.data.files)]);
  for (const path of listed) {
    const actual = hashes.get(path);
    if (!actual) problems.push(`${path}: missing from the package`);
    else if (sums.get(path) !== actual) problems.push(`${path}: SHA-256 ${actual} differs from SHA256SUMS`);
    else if (parsed.data.files[path] !== actual) problems.push(`${path}: SHA-256 differs from manifest.json`);
  }
  for (const path of hashes.keys()) if (path !== 'manifest.json' && path !== 'SHA256SUMS' && !listed.has(path)) problems.push(`${path}: not listed in SHA256SUMS or manifest.json`);
  return { ok: problems.length === 0, files: listed.size, problems };
}
