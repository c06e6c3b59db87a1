import { sql } from 'drizzle-orm';
import { index, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import type { Dialect, MediatorRole, Speciality } from '../../../shared/domain/mediators.ts';
import { cases } from './cases.ts';
import { staffUsers } from './organisations.ts';
import { participants } from './sessions.ts';

/**
 * Who mediates a case: one lead (主办) and any number of co-mediators (协办). Only they host the
 * case's sessions and write its agreement; other mediators of the center read it.
 */
export const caseMediators = pgTable(
  'case_mediators',
  {
    caseId: uuid('case_id').notNull().references(() => cases.id, { onDelete: 'cascade' }),
    staffUserId: uuid('staff_user_id').notNull().references(() => staffUsers.id),
    role: text('role').$type<MediatorRole>().notNull(),
    assignedAt: timestamp('assigned_at', { withTimezone: true }).notNull(),
    /** The head who assigned; null when the case's creator was assigned on registering it. */
    assignedBy: uuid('assigned_by').references(() => staffUsers.id),
  },
  (t) => [
    primaryKey({ columns: [t.caseId, t.staffUserId] }),
    uniqueIndex('case_mediators_one_lead').on(t.caseId).where(sql`${t.role} = 'lead'`),
    index('case_mediators_staff_idx').on(t.staffUserId),
  ],
);

/** What the roster shows of a mediator (点单式调解): dialects, specialities, photo; phone for assignment notices. */
export const mediatorProfiles = pgTable('mediator_profiles', {
  staffUserId: uuid('staff_user_id')
    .primaryKey()
    .references(() => staffUsers.id),
  dialects: jsonb('dialects').$type<Dialect[]>().notNull().default([]),
  specialities: jsonb('specialities').$type<Speciality[]>().notNull().default([]),
  introduction: text('introduction').notNull().default(''),
  /** Where assignment notices go by SMS; never shown to parties. */
  phone: text('phone'),
  photoStorageKey: text('photo_storage_key'),
  photoContentType: text('photo_content_type'),
  photoSha256: text('photo_sha256'),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
});

/** A party's (or its agent's) choice of mediator from the roster, before the first session starts; one per participant. */
export const mediatorChoices = pgTable(
  'mediator_choices',
  {
    participantId: uuid('participant_id')
      .primaryKey()
      .references(() => participants.id, { onDelete: 'cascade' }),
    caseId: uuid('case_id').notNull().references(() => cases.id, { onDelete: 'cascade' }),
    staffUserId: uuid('staff_user_id').notNull().references(() => staffUsers.id),
    chosenAt: timestamp('chosen_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('mediator_choices_case_idx').on(t.caseId)],
);
