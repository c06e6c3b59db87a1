import { sql } from 'drizzle-orm';
import { type AnyPgColumn, boolean, check, index, integer, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import type { OrganisationLevel, StaffRole } from '../../../shared/domain/organisations.ts';

export const organisations = pgTable(
  'organisations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    kind: text('kind', { enum: ['mediation_center', 'maritime_court', 'tribunal'] }).notNull(),
    name: text('name').notNull().unique(),
    caseNumberPrefix: text('case_number_prefix'),
    courtCode: text('court_code').unique(),
    /** The organisation above this one (village room → town → county center → court); null at the top. */
    parentId: uuid('parent_id').references((): AnyPgColumn => organisations.id),
    /** A mediation center's level in the "136" pattern; null for courts and tribunals. */
    level: text('level').$type<OrganisationLevel>(),
    /** The duty phone that receives SMS about cases sent to (or returned to) the organisation. */
    dutyPhone: text('duty_phone'),
    /** Recordings of this organisation's cases are deleted this many days after they stop; null: kept until deleted by hand. */
    recordingRetentionDays: integer('recording_retention_days'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('organisation_kind_fields', sql`(${t.kind} = 'mediation_center') = (${t.courtCode} is null)`),
    check('organisation_recording_retention', sql`${t.recordingRetentionDays} is null or ${t.recordingRetentionDays} between 1 and 36500`),
    check('organisation_level_only_centers', sql`${t.level} is null or ${t.kind} = 'mediation_center'`),
    index('organisations_parent_idx').on(t.parentId),
  ],
);

export const staffUsers = pgTable(
  'staff_users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organisationId: uuid('organisation_id').notNull().references(() => organisations.id),
    username: text('username').notNull().unique(),
    displayName: text('display_name').notNull(),
    role: text('role').$type<StaffRole>().notNull(),
    passwordHash: text('password_hash').notNull(),
    active: boolean('active').notNull().default(true),
    /** The center's head (主任): a mediator who also assigns and reassigns the center's cases. */
    centerHead: boolean('center_head').notNull().default(false),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('staff_users_organisation_idx').on(t.organisationId), check('staff_users_head_is_mediator', sql`not ${t.centerHead} or ${t.role} = 'mediator'`)],
);

/** Login sessions: only the SHA-256 of the cookie token is stored. */
export const staffSessions = pgTable(
  'staff_sessions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    staffUserId: uuid('staff_user_id').notNull().references(() => staffUsers.id, { onDelete: 'cascade' }),
    tokenHash: text('token_hash').notNull().unique(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('staff_sessions_user_idx').on(t.staffUserId)],
);

/** Per-center, per-year counter behind case numbers. */
export const caseNumberCounters = pgTable(
  'case_number_counters',
  {
    organisationId: uuid('organisation_id').notNull().references(() => organisations.id),
    year: integer('year').notNull(),
    last: integer('last').notNull(),
  },
  (t) => [primaryKey({ columns: [t.organisationId, t.year] })],
);
