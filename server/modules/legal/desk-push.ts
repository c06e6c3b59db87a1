import type { Server } from 'socket.io';
import type { ConsultationStatus } from '../../../shared/domain/consultations.ts';
import type { ClientToServerEvents, ServerToClientEvents } from '../../../shared/realtime.ts';
import type { Principal } from '../../access/principal.ts';

/**
 * Pushes consultation changes to lawyers' desks over socket.io (issue 11: the desk no longer
 * polls every 3 s). A lawyer's staff socket sits in a socket.io room of its own; the service
 * names the lawyers whose desk shows the consultation (its lawyer, and for an on-duty request
 * those on duty now). With the Redis adapter an emit reaches sockets on every node. The event
 * names only the consultation and its status: the desk fetches its list over HTTP, where the
 * usual access rules apply.
 */

const lawyerRoom = (staffUserId: string) => `lawyer:${staffUserId}`;

/** The socket.io rooms a staff socket joins on connecting (none but a lawyer's). */
export function deskRoomsOf(p: Principal): string[] {
  return p.role === 'lawyer' ? [lawyerRoom(p.staffUserId)] : [];
}

export type DeskPush = (change: { id: string; status: ConsultationStatus }, lawyerIds: readonly string[]) => void;

export function deskPush(io: Pick<Server<ClientToServerEvents, ServerToClientEvents>, 'to'>): DeskPush {
  return (c, lawyerIds) => {
    if (lawyerIds.length > 0) io.to(lawyerIds.map(lawyerRoom)).emit('legal:consultation', { consultationId: c.id, status: c.status });
  };
}
