import type { Socket as NetSocket } from 'node:net';
import type { Server } from 'socket.io';

/** What this file needs of engine.io's per-connection socket (its `flush` is internal, not typed). */
interface EngineConnection {
  flush(): void;
  transport: { name: string; socket?: { _socket?: NetSocket | null } };
}

/**
 * Every websocket message of a connection sent in one event-loop turn leaves in one write.
 *
 * engine.io writes each packet as its own websocket frame, one system call each, and a request
 * commonly answers with two or more (its room:state, then its ack; a host gets a view and several
 * acks at once). On the machines Haiqiao runs on a loopback or LAN write costs 0.1–0.2 ms of CPU,
 * which made the websocket writes a fifth of the server's CPU in a join storm. Here a
 * connection's flush is put off to the end of the turn (setImmediate, well under a millisecond),
 * and the TCP socket is corked while engine.io writes the packets gathered meanwhile, so they go
 * out together (one writev). Order and content are engine.io's own; only polling connections, and
 * any engine.io whose internals differ from those named above, are left as they are.
 */
export function coalesceWrites(io: Server) {
  io.engine.on('connection', (conn: EngineConnection) => {
    if (typeof conn.flush !== 'function') return;
    const flush = conn.flush.bind(conn);
    let scheduled = false;
    conn.flush = () => {
      if (scheduled) return;
      scheduled = true;
      setImmediate(() => {
        scheduled = false;
        const tcp = conn.transport.name === 'websocket' ? conn.transport.socket?._socket : undefined;
        if (!tcp || tcp.destroyed) return flush();
        tcp.cork();
        try {
          flush();
        } finally {
          tcp.uncork();
        }
      });
    };
  });
}
