import { boolean, index, integer, jsonb, pgTable, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';
import type { AttendanceState, IdentityMethod } from '../../../shared/domain/attendance.ts';
import type { LanguagePair, ListeningChoices } from '../../../shared/domain/interpretation.ts';
import type { ParticipantRole } from '../../../shared/domain/participants.ts';
import { cases } from './cases.ts';
import { nodes } from './nodes.ts';
import { staffUsers } from './organisations.ts';
import { participants, sessions } from './sessions.ts';

export interface StoredNetworkTest {
  rttMs: number;
  downKbps: number;
  upKbps: number;
  hasCamera: boolean;
  hasMicrophone: boolean;
  at: string;
}

/** One person's presence in one session: identity, device check, lobby, admission. */
export const attendances = pgTable(
  'attendances',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    sessionId: uuid('session_id').notNull().references(() => sessions.id, { onDelete: 'cascade' }),
    participantId: uuid('participant_id').references(() => participants.id),
    staffUserId: uuid('staff_user_id').references(() => staffUsers.id),
    displayName: text('display_name').notNull(),
    role: text('role').$type<ParticipantRole>().notNull(),
    isHost: boolean('is_host').notNull().default(false),
    state: text('state').$type<AttendanceState>().notNull().default('joining'),
    space: text('space').notNull().default('joint'),
    identityMethod: text('identity_method').$type<IdentityMethod>(),
    identityVerifiedAt: timestamp('identity_verified_at', { withTimezone: true }),
    identityFailures: integer('identity_failures').notNull().default(0),
    oneTimeCodeHash: text('one_time_code_hash'),
    oneTimeCodeExpiresAt: timestamp('one_time_code_expires_at', { withTimezone: true }),
    /** Wrong guesses at the current one-time code: at the cap the code is void. */
    oneTimeCodeFailures: integer('one_time_code_failures').notNull().default(0),
    networkTest: jsonb('network_test').$type<StoredNetworkTest>(),
    canShareScreen: boolean('can_share_screen').notNull().default(false),
    /** The host muted this person's microphone or camera: kept across drops and restarts. */
    hostMutedAudio: boolean('host_muted_audio').notNull().default(false),
    hostMutedVideo: boolean('host_muted_video').notNull().default(false),
    /** An interpreter's language pair, copied from the participant on entry. */
    languagePair: jsonb('language_pair').$type<LanguagePair>(),
    /** What this person chose to hear of whom (interpreter channel): kept across drops and restarts. */
    listening: jsonb('listening').$type<ListeningChoices>().notNull().default({}),
    /** SHA-256 of the token a client presents to get back in after a drop or a restart. */
    resumeTokenHash: text('resume_token_hash').unique(),
    admittedAt: timestamp('admitted_at', { withTimezone: true }),
    leftAt: timestamp('left_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    unique('attendances_session_participant').on(t.sessionId, t.participantId),
    unique('attendances_session_staff').on(t.sessionId, t.staffUserId),
    index('attendances_session_idx').on(t.sessionId),
  ],
);

/** Chat kept with the case record; `space` is 'joint' or the caucus it was said in. */
export const chatMessages = pgTable(
  'chat_messages',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    sessionId: uuid('session_id').notNull().references(() => sessions.id, { onDelete: 'cascade' }),
    caseId: uuid('case_id').notNull().references(() => cases.id, { onDelete: 'cascade' }),
    attendanceId: uuid('attendance_id').notNull().references(() => attendances.id),
    space: text('space').notNull(),
    text: text('text').notNull(),
    sentAt: timestamp('sent_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('chat_messages_session_idx').on(t.sessionId)],
);

/**
 * A live room's own host decisions (one row per session that went live): the lock and the
 * spotlight. With the attendances (state, space, mutes, screen permission, codes) and the open
 * caucuses, any server can rebuild the room from the database.
 */
export const liveRooms = pgTable('live_rooms', {
  sessionId: uuid('session_id').primaryKey().references(() => sessions.id, { onDelete: 'cascade' }),
  locked: boolean('locked').notNull().default(false),
  spotlightAttendanceId: uuid('spotlight_attendance_id').references(() => attendances.id, { onDelete: 'set null' }),
  /** The node holding the room (cluster mode; null: none yet, or one process). Claimed conditionally. */
  nodeId: text('node_id').references(() => nodes.id, { onDelete: 'set null' }),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/** Caucuses (背对背) of a session; who is in one is `attendances.space`. Closed ones are kept for the record. */
export const roomCaucuses = pgTable(
  'room_caucuses',
  {
    id: text('id').primaryKey(),
    sessionId: uuid('session_id').notNull().references(() => sessions.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    openedAt: timestamp('opened_at', { withTimezone: true }).notNull(),
    closedAt: timestamp('closed_at', { withTimezone: true }),
    /** The mediator chose to record this caucus (only while the session's recording runs). */
    recorded: boolean('recorded').notNull().default(false),
  },
  (t) => [index('room_caucuses_session_idx').on(t.sessionId)],
);
