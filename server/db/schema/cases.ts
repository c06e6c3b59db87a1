import { sql } from 'drizzle-orm';
import { bigint, check, doublePrecision, index, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import type { CaseStatus, DisputeType, Province, SeaArea } from '../../../shared/domain/cases.ts';
import type { CourtCode } from '../../../shared/domain/courts.ts';
import type { IdType } from '../../../shared/domain/id-numbers.ts';
import { organisations } from './organisations.ts';

export const cases = pgTable(
  'cases',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    number: text('number').notNull().unique(),
    centerId: uuid('center_id').notNull().references(() => organisations.id),
    title: text('title').notNull(),
    status: text('status').$type<CaseStatus>().notNull().default('registered'),
    disputeType: text('dispute_type').$type<DisputeType>().notNull(),
    incidentAt: timestamp('incident_at', { withTimezone: true }).notNull(),
    incidentLat: doublePrecision('incident_lat'),
    incidentLon: doublePrecision('incident_lon'),
    seaArea: text('sea_area').$type<SeaArea>().notNull(),
    incidentDescription: text('incident_description').notNull().default(''),
    provinces: jsonb('provinces').$type<Province[]>().notNull(),
    claimedAmountFen: bigint('claimed_amount_fen', { mode: 'number' }).notNull(),
    competentCourt: text('competent_court').$type<CourtCode>().notNull(),
    /** Set when a court confirms the agreement: the case can be enforced. */
    enforceableAt: timestamp('enforceable_at', { withTimezone: true }),
    createdBy: uuid('created_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('cases_center_idx').on(t.centerId),
    index('cases_court_idx').on(t.competentCourt),
    check('cases_amount_nonnegative', sql`${t.claimedAmountFen} >= 0`),
    check('cases_position_pair', sql`(${t.incidentLat} is null) = (${t.incidentLon} is null)`),
  ],
);

export const parties = pgTable(
  'parties',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    caseId: uuid('case_id').notNull().references(() => cases.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: ['person', 'organisation'] }).notNull(),
    name: text('name').notNull(),
    idType: text('id_type').$type<IdType>(),
    /** AES-256-GCM ciphertext (see server/security/id-number-cipher.ts); never the plain number. */
    idNumberCiphertext: text('id_number_ciphertext'),
    idNumberMasked: text('id_number_masked'),
    phone: text('phone'),
    address: text('address'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('parties_case_idx').on(t.caseId)],
);

export const vessels = pgTable(
  'vessels',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    caseId: uuid('case_id').notNull().references(() => cases.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    registrationNumber: text('registration_number'),
    mmsi: text('mmsi'),
    portOfRegistry: text('port_of_registry'),
    ownerPartyId: uuid('owner_party_id').references(() => parties.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('vessels_case_idx').on(t.caseId), check('vessels_mmsi_format', sql`${t.mmsi} ~ '^[0-9]{9}$'`)],
);
