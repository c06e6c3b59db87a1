import type { ServiceContext } from '../../context.ts';
import type { Timestamper } from '../../security/timestamp-authority.ts';
import type { SealRegistry } from '../seals/seals.service.ts';

/** What sealing a document needs: the organisations' seals, the TSA if any, and whom to tell after the commit. */
export interface SealingDeps {
  ctx: ServiceContext;
  seals: SealRegistry;
  /** RFC 3161 client (PAdES B-T); unset: seals carry no trusted time. */
  timestamp?: Timestamper | undefined;
  /** After a commit that sealed an agreement or attached a ruling: tell live rooms (co-review). */
  changed: (caseId: string, agreementId: string) => void;
}
