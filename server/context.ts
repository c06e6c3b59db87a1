import type { Db } from './db/client.ts';
import type { FileStorage } from './modules/evidence/file-storage.ts';
import type { IdNumberCipher } from './security/id-number-cipher.ts';
import type { UrlSigner } from './security/signed-urls.ts';

/** What services need from the outside world; built once per app. */
export interface ServiceContext {
  db: Db;
  cipher: IdNumberCipher;
  now: () => Date;
  /** Base URL for links people open (invitations); unset → the origin the staff member used. */
  publicUrl: string | undefined;
  sessionHours: number;
  /** Uploaded files (evidence, reports, sealed documents). */
  files: FileStorage;
  /** Signs short-lived links to files. */
  urls: UrlSigner;
}

declare module 'fastify' {
  interface FastifyInstance {
    ctx: ServiceContext;
  }
}
