import { index, integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import type { NotificationKind, NotificationStatus } from '../../../shared/domain/notifications.ts';
import { cases } from './cases.ts';
import { organisations } from './organisations.ts';
import { obligations } from './agreements.ts';
import { participants, sessions } from './sessions.ts';

/**
 * The outbox: one row per message, written in the transaction that causes it, delivered after
 * the commit by the `deliver-notification` job. The text (which may hold an invitation link) is
 * encrypted like ID numbers; `dedupe_key` makes a message exist once.
 */
export const notifications = pgTable(
  'notifications',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    caseId: uuid('case_id').notNull().references(() => cases.id, { onDelete: 'cascade' }),
    /**
     * Whose outbox shows it when that is not the case's holder: a transfer's notice to the
     * receiving organisation belongs to the receiver. Null: the center holding the case.
     */
    organisationId: uuid('organisation_id').references(() => organisations.id),
    sessionId: uuid('session_id').references(() => sessions.id, { onDelete: 'cascade' }),
    participantId: uuid('participant_id').references(() => participants.id, { onDelete: 'cascade' }),
    /** For instalment notices: cancelled if fulfilled (or no longer in force) before it is due. */
    obligationId: uuid('obligation_id').references(() => obligations.id, { onDelete: 'cascade' }),
    kind: text('kind').$type<NotificationKind>().notNull(),
    channel: text('channel', { enum: ['sms'] }).notNull().default('sms'),
    recipient: text('recipient').notNull(),
    bodyCiphertext: text('body_ciphertext').notNull(),
    dedupeKey: text('dedupe_key').notNull().unique(),
    /** For reminders: the session time it was computed from; a moved session cancels it. */
    forScheduledAt: timestamp('for_scheduled_at', { withTimezone: true }),
    sendAfter: timestamp('send_after', { withTimezone: true }).notNull(),
    status: text('status').$type<NotificationStatus>().notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    provider: text('provider'),
    providerMessageId: text('provider_message_id'),
    sentAt: timestamp('sent_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('notifications_case_idx').on(t.caseId), index('notifications_due_idx').on(t.status, t.sendAfter), index('notifications_organisation_idx').on(t.organisationId, t.createdAt)],
);
