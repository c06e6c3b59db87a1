import { index, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * The server processes of one deployment (cluster mode, HAIQIAO_NODE_ID). Each refreshes its row
 * every second; one whose heartbeat is older than a few seconds is dead and loses its rooms.
 */
export const nodes = pgTable(
  'nodes',
  {
    id: text('id').primaryKey(),
    /** Where the node's HTTP and socket.io listen, as the proxy reaches it. */
    httpUrl: text('http_url').notNull(),
    /** Where browsers reach its media (WebRTC) ports. */
    rtcAddress: text('rtc_address').notNull(),
    /** Rooms held plus connected peers: placement picks the lowest. */
    load: integer('load').notNull().default(0),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
    heartbeatAt: timestamp('heartbeat_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('nodes_heartbeat_idx').on(t.heartbeatAt)],
);
