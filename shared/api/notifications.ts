import { z } from 'zod';
import { notificationKinds, notificationStatuses } from '../domain/notifications.ts';

export const outboxItemSchema = z.object({
  id: z.string(),
  caseId: z.string(),
  caseNumber: z.string(),
  kind: z.enum(notificationKinds),
  recipient: z.string(),
  body: z.string(),
  status: z.enum(notificationStatuses),
  attempts: z.number().int(),
  lastError: z.string().nullable(),
  provider: z.string().nullable(),
  sendAfter: z.string(),
  sentAt: z.string().nullable(),
});
export const outboxListSchema = z.object({ items: z.array(outboxItemSchema) });
export type OutboxItem = z.infer<typeof outboxItemSchema>;
