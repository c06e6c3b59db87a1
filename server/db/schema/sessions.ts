import { index, integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import type { LanguagePair } from '../../../shared/domain/interpretation.ts';
import type { ParticipantRole } from '../../../shared/domain/participants.ts';
import type { SessionStatus } from '../../../shared/domain/sessions.ts';
import { cases, parties } from './cases.ts';
import { staffUsers } from './organisations.ts';

export const participants = pgTable(
  'participants',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    caseId: uuid('case_id').notNull().references(() => cases.id, { onDelete: 'cascade' }),
    role: text('role').$type<ParticipantRole>().notNull(),
    displayName: text('display_name').notNull(),
    phone: text('phone'),
    partyId: uuid('party_id').references(() => parties.id),
    representsPartyId: uuid('represents_party_id').references(() => parties.id),
    staffUserId: uuid('staff_user_id').references(() => staffUsers.id),
    /** An interpreter's two languages (null for every other role). */
    languagePair: jsonb('language_pair').$type<LanguagePair>(),
    removedAt: timestamp('removed_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('participants_case_idx').on(t.caseId)],
);

export const sessions = pgTable(
  'sessions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    caseId: uuid('case_id').notNull().references(() => cases.id, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    /**
     * A mediation (the mediator hosts), a court's confirmation hearing (court staff host) or a
     * private legal consultation (the consulting lawyer hosts, with the one party; no staff enter).
     */
    kind: text('kind', { enum: ['mediation', 'hearing', 'consultation'] }).notNull().default('mediation'),
    scheduledAt: timestamp('scheduled_at', { withTimezone: true }).notNull(),
    durationMinutes: integer('duration_minutes').notNull(),
    status: text('status').$type<SessionStatus>().notNull().default('scheduled'),
    createdBy: uuid('created_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('sessions_case_idx').on(t.caseId)],
);

/** Invitation links: the 256-bit token is shown once; only its SHA-256 is kept. */
export const invitations = pgTable(
  'invitations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    sessionId: uuid('session_id').notNull().references(() => sessions.id, { onDelete: 'cascade' }),
    participantId: uuid('participant_id').notNull().references(() => participants.id, { onDelete: 'cascade' }),
    tokenHash: text('token_hash').notNull().unique(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    lastOpenedAt: timestamp('last_opened_at', { withTimezone: true }),
    createdBy: uuid('created_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('invitations_session_idx').on(t.sessionId)],
);
