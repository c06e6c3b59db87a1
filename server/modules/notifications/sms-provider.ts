/**
 * Where an SMS goes. A real provider (a Chinese cloud SMS API) is one module implementing this
 * interface, handed to `buildApp` as `smsProvider`; it throws on a failed send (the job retries).
 */
export interface SmsProvider {
  /** Recorded with each message sent. */
  readonly name: string;
  send(message: { notificationId: string; to: string; body: string }): Promise<{ messageId: string }>;
}

/**
 * The default: nothing leaves the platform. The message stays in the outbox (the `notifications`
 * table, read by the case's staff at GET /api/notifications), marked delivered there, for staff
 * to pass on by hand.
 */
export const outboxSmsProvider: SmsProvider = {
  name: 'outbox',
  send: async ({ notificationId }) => ({ messageId: `outbox:${notificationId}` }),
};
