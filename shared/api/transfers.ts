import { z } from 'zod';
import { textSchema } from '../text.ts';
import { caseStatuses, disputeTypes, seaAreas } from '../domain/cases.ts';
import { organisationLevels } from '../domain/organisations.ts';
import { chineseMobileSchema } from '../domain/parties.ts';
import { transferKinds, transferStatuses } from '../domain/transfers.ts';

export const transferIdSchema = z.uuid().brand<'TransferId'>();

/** Escalate goes to the holder's parent (no target given); a hand-over names its target. */
export const transferRequestSchema = z
  .object({
    kind: z.enum(transferKinds),
    toOrganisationId: z.uuid().optional(),
    note: textSchema.trim().min(2).max(500),
  })
  .superRefine((t, ctx) => {
    if (t.kind === 'hand_over' && !t.toOrganisationId) ctx.addIssue({ code: 'custom', path: ['toOrganisationId'], message: 'required to hand a case over' });
    if (t.kind === 'escalate' && t.toOrganisationId) ctx.addIssue({ code: 'custom', path: ['toOrganisationId'], message: 'a case is escalated to the parent organisation' });
  });
export type TransferRequest = z.infer<typeof transferRequestSchema>;

export const transferReturnSchema = z.object({ reason: textSchema.trim().min(2).max(500) });

const organisationRef = z.object({ id: z.string(), name: z.string(), level: z.enum(organisationLevels).nullable() });

export const transferViewSchema = z.object({
  id: z.string(),
  caseId: z.string(),
  kind: z.enum(transferKinds),
  status: z.enum(transferStatuses),
  from: organisationRef,
  to: organisationRef,
  note: z.string(),
  returnReason: z.string().nullable(),
  requestedBy: z.string(),
  requestedAt: z.string(),
  decidedBy: z.string().nullable(),
  decidedAt: z.string().nullable(),
});
export type TransferView = z.infer<typeof transferViewSchema>;

/** A case's holders in order (the registering center first) and every transfer, with where the caller may send it. */
export const caseTransfersSchema = z.object({
  holders: z.array(organisationRef.extend({ since: z.string() })),
  transfers: z.array(transferViewSchema),
  /** The caller's center holds the case: it may work it (others who see it read only). */
  mayAct: z.boolean(),
  /** Empty unless the caller's organisation holds the case and nothing is pending. */
  targets: z.object({ escalate: organisationRef.nullable(), handOver: z.array(organisationRef) }),
});
export type CaseTransfers = z.infer<typeof caseTransfersSchema>;

/** A request waiting for the caller's organisation: enough of the case to decide, not the file. */
export const incomingTransferSchema = transferViewSchema.extend({
  case: z.object({ number: z.string(), title: z.string(), status: z.enum(caseStatuses), disputeType: z.enum(disputeTypes), seaArea: z.enum(seaAreas), claimedAmountFen: z.number() }),
});
export const incomingTransfersSchema = z.object({ items: z.array(incomingTransferSchema) });
export type IncomingTransfer = z.infer<typeof incomingTransferSchema>;

/** An admin places an organisation in the tree: its parent (null at the top) and level (centers only). */
export const organisationPlacementSchema = z.object({
  parentId: z.uuid().nullable(),
  level: z.enum(organisationLevels).nullable(),
  dutyPhone: chineseMobileSchema.nullable().optional(),
});
export type OrganisationPlacement = z.infer<typeof organisationPlacementSchema>;
