import { defineMachine } from '../state-machine.ts';
import type { CaseStatus } from './cases.ts';
import type { OrganisationKind, OrganisationLevel } from './organisations.ts';

/**
 * Moving a case between organisations of the tree (issue 11 point 2): escalated to the holder's
 * parent, or handed over to a peer of the same level or a center directly below. The case itself
 * moves (its holder changes); its history, evidence and audit trail stay with it.
 */
export const transferKinds = ['escalate', 'hand_over'] as const;
export type TransferKind = (typeof transferKinds)[number];

/** requested → accepted (the receiver now holds the case) | returned (with a reason, the sender keeps it). */
export const transferStatuses = ['requested', 'accepted', 'returned'] as const;
export type TransferStatus = (typeof transferStatuses)[number];

export const transferMachine = defineMachine(transferStatuses, {
  requested: ['accepted', 'returned'],
  accepted: [],
  returned: [],
});

/**
 * A case moves while it is still being worked. Once settled (or ended) it stays where it
 * settled, so the level that settled it is the level of its holder (the dashboard relies on
 * this); a case reopened to mediation can move again.
 */
export const transferableCaseStatuses: readonly CaseStatus[] = ['registered', 'screening', 'mediating'];

/** Village below town below county; courts and tribunals stand above every level. */
const levelRank: Record<OrganisationLevel, number> = { village: 1, town: 2, county: 3 };

export interface TreeNode {
  id: string;
  kind: OrganisationKind;
  level: OrganisationLevel | null;
  parentId: string | null;
}

/**
 * Why `parent` cannot stand above `child`, or null when it can: a court (or tribunal) sits only
 * under a court; a center under a court, or under a center of a strictly higher level (a center
 * without a level only under a court or a center without one).
 */
export function placementRefusal(child: Pick<TreeNode, 'kind' | 'level'>, parent: Pick<TreeNode, 'kind' | 'level'>): string | null {
  if (child.kind !== 'mediation_center') return parent.kind === 'mediation_center' ? 'a court sits only under a court' : null;
  if (parent.kind !== 'mediation_center') return null;
  if (child.level === null || parent.level === null) return child.level === parent.level ? null : 'a center with a level sits under a center with a higher level';
  return levelRank[parent.level] > levelRank[child.level] ? null : `a ${child.level} center cannot sit under a ${parent.level} center`;
}

/** Where a holder may send a case: its parent (escalate) if that is a center; peers of its level and the centers right below it (hand over). */
export function transferTargets<T extends TreeNode>(holder: T, all: readonly T[]): { escalate: T | null; handOver: T[] } {
  const parent = all.find((o) => o.id === holder.parentId);
  return {
    escalate: parent?.kind === 'mediation_center' ? parent : null,
    handOver: all.filter((o) => o.kind === 'mediation_center' && o.id !== holder.id && o.id !== holder.parentId && (o.level === holder.level || o.parentId === holder.id)),
  };
}
