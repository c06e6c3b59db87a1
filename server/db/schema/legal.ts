import { sql } from 'drizzle-orm';
import { check, index, pgTable, text, timestamp, unique, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import type { ConsultationKind, ConsultationStatus } from '../../../shared/domain/consultations.ts';
import { cases } from './cases.ts';
import { organisations, staffUsers } from './organisations.ts';
import { participants, sessions } from './sessions.ts';

/** A law firm the mediation center works with (the center's admin records it). */
export const lawFirms = pgTable(
  'law_firms',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    centerId: uuid('center_id').notNull().references(() => organisations.id),
    name: text('name').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [unique('law_firms_center_name').on(t.centerId, t.name)],
);

/** A lawyer: a staff account (role `lawyer`, in the center's organisation) attached to one firm. */
export const lawyers = pgTable(
  'lawyers',
  {
    staffUserId: uuid('staff_user_id').primaryKey().references(() => staffUsers.id),
    lawFirmId: uuid('law_firm_id').notNull().references(() => lawFirms.id),
    /** Where the duty notice SMS goes. */
    phone: text('phone').notNull(),
    licenceNumber: text('licence_number').notNull(),
    specialities: text('specialities').notNull().default(''),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('lawyers_firm_idx').on(t.lawFirmId)],
);

/** The duty roster (坐班制): who answers on-duty requests, [starts_at, ends_at). */
export const dutyShifts = pgTable(
  'duty_shifts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    lawyerId: uuid('lawyer_id').notNull().references(() => lawyers.staffUserId),
    startsAt: timestamp('starts_at', { withTimezone: true }).notNull(),
    endsAt: timestamp('ends_at', { withTimezone: true }).notNull(),
    createdBy: uuid('created_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [check('duty_shift_order', sql`${t.endsAt} > ${t.startsAt}`), index('duty_shifts_time_idx').on(t.startsAt, t.endsAt)],
);

/** Times a lawyer publishes for bookings (预约制); a booked slot names its consultation. */
export const lawyerSlots = pgTable(
  'lawyer_slots',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    lawyerId: uuid('lawyer_id').notNull().references(() => lawyers.staffUserId),
    startsAt: timestamp('starts_at', { withTimezone: true }).notNull(),
    endsAt: timestamp('ends_at', { withTimezone: true }).notNull(),
    consultationId: uuid('consultation_id'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('lawyer_slot_order', sql`${t.endsAt} > ${t.startsAt}`),
    uniqueIndex('lawyer_slots_lawyer_start').on(t.lawyerId, t.startsAt),
    uniqueIndex('lawyer_slots_consultation').on(t.consultationId),
  ],
);

export const consultations = pgTable(
  'consultations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    centerId: uuid('center_id').notNull().references(() => organisations.id),
    caseId: uuid('case_id').notNull().references(() => cases.id, { onDelete: 'cascade' }),
    kind: text('kind').$type<ConsultationKind>().notNull(),
    status: text('status').$type<ConsultationStatus>().notNull(),
    /** The lawyer: named from the start (chosen, called in, booked) or whoever on duty accepts. */
    lawyerId: uuid('lawyer_id').references(() => lawyers.staffUserId),
    /** The party advised (their participant row); null when a mediator asks for the mediation itself. */
    forParticipantId: uuid('for_participant_id').references(() => participants.id),
    requestedByParticipantId: uuid('requested_by_participant_id').references(() => participants.id),
    requestedByStaffId: uuid('requested_by_staff_id').references(() => staffUsers.id),
    /** The session (live room) the lawyer joins; the private room is a caucus there or a session of its own. */
    sessionId: uuid('session_id').references(() => sessions.id),
    /** The lawyer's participant row (role consulting_lawyer), made when they accept. */
    lawyerParticipantId: uuid('lawyer_participant_id').references(() => participants.id),
    /**
     * A private room: the party's link into it, encrypted like ID numbers (only the party reads it
     * back, from their own link), and that invitation, revoked when the consultation ends.
     */
    partyLinkCiphertext: text('party_link_ciphertext'),
    partyInvitationId: uuid('party_invitation_id'),
    question: text('question').notNull().default(''),
    /** A booking's time; a request's own time otherwise. */
    scheduledAt: timestamp('scheduled_at', { withTimezone: true }).notNull(),
    requestedAt: timestamp('requested_at', { withTimezone: true }),
    answeredAt: timestamp('answered_at', { withTimezone: true }),
    startedAt: timestamp('started_at', { withTimezone: true }),
    endedAt: timestamp('ended_at', { withTimezone: true }),
    reason: text('reason'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('consultation_requester', sql`(${t.requestedByParticipantId} is null) <> (${t.requestedByStaffId} is null)`),
    index('consultations_center_idx').on(t.centerId, t.status),
    index('consultations_case_idx').on(t.caseId),
    index('consultations_lawyer_idx').on(t.lawyerId, t.status),
  ],
);
