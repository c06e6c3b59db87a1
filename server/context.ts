import type { Db } from './db/client';
import type { IdNumberCipher } from './security/id-number-cipher';

/** What services need from the outside world; built once per app. */
export interface ServiceContext {
  db: Db;
  cipher: IdNumberCipher;
  now: () => Date;
  /** Base URL for links people open (invitations); unset → the origin the staff member used. */
  publicUrl: string | undefined;
  sessionHours: number;
}

declare module 'fastify' {
  interface FastifyInstance {
    ctx: ServiceContext;
  }
}
