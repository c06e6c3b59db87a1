import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isStorageFull, storageFull } from '../../infrastructure-errors.ts';

/** Files on local disk under one directory; keys are generated, never taken from users. */
export interface FileStorage {
  put(bytes: Uint8Array): Promise<string>;
  read(key: string): Promise<Buffer>;
  /** A derived file next to the original (e.g. a rendered page), created once. */
  readDerived(key: string, suffix: string, make: () => Promise<Buffer>): Promise<Buffer>;
  remove(key: string): Promise<void>;
}

export function createFileStorage(root: string): FileStorage {
  const fileOf = (key: string) => {
    if (!/^[0-9a-f]{2}\/[0-9a-f-]{36}(\.[a-z0-9.]+)?$/.test(key)) throw new Error('bad storage key');
    return path.join(root, key);
  };
  // Written to a temporary name and renamed, so a crash never leaves a half-written file in place;
  // a failed write (a full disk) removes what it wrote and answers STORAGE_FULL.
  const writeAtomically = async (file: string, bytes: Uint8Array) => {
    // Unique per write: two requests rendering the same page at once must not share a temporary file.
    const temporary = `${file}.${randomUUID()}.tmp`;
    try {
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(temporary, bytes, { mode: 0o600 });
      await rename(temporary, file);
    } catch (error) {
      await rm(temporary, { force: true });
      throw isStorageFull(error) ? storageFull() : error;
    }
  };
  return {
    async put(bytes) {
      const id = randomUUID();
      const key = `${id.slice(0, 2)}/${id}`;
      await writeAtomically(fileOf(key), bytes);
      return key;
    },
    read: (key) => readFile(fileOf(key)),
    async readDerived(key, suffix, make) {
      const file = fileOf(`${key}.${suffix}`);
      try {
        return await readFile(file);
      } catch {
        const bytes = await make();
        await writeAtomically(file, bytes);
        return bytes;
      }
    },
    remove: (key) => rm(fileOf(key), { force: true }),
  };
}
