import type { Db } from './db/client';
import type { FileStorage } from './modules/evidence/file-storage';
import type { IdNumberCipher } from './security/id-number-cipher';
import type { UrlSigner } from './security/signed-urls';

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
