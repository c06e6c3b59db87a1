import { defineMachine } from '../state-machine.ts';

export const disputeTypes = [
  'collision',
  'injury_death',
  'fishing_gear_damage',
  'fishing_ground_conflict',
  'catch_price_sale',
  'crew_wages',
  'vessel_sale_charter',
  'marine_insurance',
  'other',
] as const;
export type DisputeType = (typeof disputeTypes)[number];

export const seaAreas = [
  'nanji_islands',
  'qixing_islands',
  'taishan_islands',
  'wentai_fishing_ground',
  'mindong_fishing_ground',
  'border_other',
] as const;
export type SeaArea = (typeof seaAreas)[number];

export const provinces = ['zhejiang', 'fujian', 'other'] as const;
export type Province = (typeof provinces)[number];

/**
 * Case lifecycle after 排查-研判-调处-回访: registered → screening → mediating → settled →
 * following_up → closed; a case may be declined at screening, fail in mediation or be withdrawn.
 */
export const caseStatuses = [
  'registered',
  'screening',
  'mediating',
  'settled',
  'following_up',
  'closed',
  'failed',
  'declined',
  'withdrawn',
] as const;
export type CaseStatus = (typeof caseStatuses)[number];

export const caseMachine = defineMachine(caseStatuses, {
  registered: ['screening', 'withdrawn'],
  screening: ['mediating', 'declined', 'withdrawn'],
  mediating: ['settled', 'failed', 'withdrawn'],
  settled: ['following_up', 'mediating'],
  following_up: ['closed', 'mediating'],
  closed: [],
  failed: [],
  declined: [],
  withdrawn: [],
});

/** Largest claim accepted, in fen (100 billion yuan): far above any real claim, well inside 2^53. */
export const maxAmountFen = 10_000_000_000_000;
