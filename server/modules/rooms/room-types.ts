import type { TurnCredentials } from '../../security/turn-credentials.ts';
import type { ServerEventName, ServerPayload } from '../../../shared/realtime.ts';
import type { Db } from '../../db/client.ts';
import { AppError } from '../../errors.ts';
import type { WorkerPool } from '../../media/worker-pool.ts';
import type { IdNumberCipher } from '../../security/id-number-cipher.ts';
import type { Principal } from '../../access/principal.ts';
import type { RecordingSettings } from './room-recording.ts';

/** Who a socket is, as established at the handshake. */
export type SocketIdentity =
  | { kind: 'staff'; principal: Principal }
  | { kind: 'participant'; participantId: string; sessionId: string; invitationId: string }
  | { kind: 'resume' };

/** Per-socket state kept by the transport layer and handed to every call. */
export interface Connection {
  socketId: string;
  identity: SocketIdentity;
  /** Resume token from the handshake, if any. */
  resumeToken?: string | undefined;
  sessionId?: string;
  peerId?: string;
}

/** How the service reaches sockets; implemented by the socket.io plugin. */
export interface RoomNotifier {
  emit<E extends ServerEventName>(socketId: string, event: E, payload: ServerPayload<E>): void;
  disconnect(socketId: string, reason: string): void;
}

export interface EvidenceLookup {
  find(caseId: string, evidenceId: string): Promise<{ fileName: string; contentType: string } | undefined>;
  url(evidenceId: string, page: number): string;
  /** Custody: the item was shown to the joint room (who showed it, who saw it). */
  recordShown(input: { caseId: string; evidenceId: string; page: number; sessionId: string; actor: { kind: 'staff'; staffUserId: string } | { kind: 'participant'; participantId: string }; audience: string[] }): Promise<void>;
}

export interface RoomsDeps {
  db: Db;
  cipher: IdNumberCipher;
  now: () => Date;
  pool: WorkerPool | null;
  notifier: RoomNotifier;
  evidence: EvidenceLookup | null;
  /** For tests: a shorter grace period than the five minutes people get. */
  graceMs?: number;
  /** TURN credentials given with media:start (admitted peers only); null: no TURN configured. */
  turn?: TurnCredentials | null;
  /** Where session recordings are written; null or absent: recording is not available. */
  recording?: RecordingSettings | null;
  log: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void; error(obj: object, msg?: string): void };
  /** Several nodes: where each room is placed (one node per room). Null: this process holds every room. */
  placement?: RoomPlacement | null;
}

export interface RoomPlacement {
  nodeId: string;
  /** The node holding the room, placing it now if no live node does (null: none alive). */
  claim(sessionId: string): Promise<string | null>;
}

export const notInRoom = () => new AppError('NOT_ADMITTED', 'enter the session first');
