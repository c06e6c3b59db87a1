import type { Server } from 'socket.io';
import type { ConsultationKind, ConsultationStatus } from '../../../shared/domain/consultations.ts';
import type { ClientToServerEvents, ServerToClientEvents } from '../../../shared/realtime.ts';
import type { Principal } from '../../access/principal.ts';

/**
 * Pushes consultation changes to lawyers' desks over socket.io (issue 11: the desk no longer
 * polls every 3 s). A lawyer's staff socket sits in two socket.io rooms: their own, and their
 * center's lawyers' (untaken on-duty requests concern everyone on duty). With the Redis adapter
 * an emit reaches sockets on every node. The event names only the consultation and its status:
 * the desk fetches its list over HTTP, where the usual access rules apply.
 */

const lawyerRoom = (staffUserId: string) => `lawyer:${staffUserId}`;
const centerLawyersRoom = (centerId: string) => `center-lawyers:${centerId}`;

/** The socket.io rooms a staff socket joins on connecting (none but a lawyer's). */
export function deskRoomsOf(p: Principal): string[] {
  return p.role === 'lawyer' ? [lawyerRoom(p.staffUserId), centerLawyersRoom(p.organisationId)] : [];
}

export interface ConsultationChange {
  id: string;
  centerId: string;
  kind: ConsultationKind;
  status: ConsultationStatus;
  lawyerId: string | null;
}

export type DeskPush = (change: ConsultationChange) => void;

export function deskPush(io: Pick<Server<ClientToServerEvents, ServerToClientEvents>, 'to'>): DeskPush {
  return (c) => {
    const rooms = [...(c.lawyerId ? [lawyerRoom(c.lawyerId)] : []), ...(c.kind === 'on_duty' ? [centerLawyersRoom(c.centerId)] : [])];
    if (rooms.length > 0) io.to(rooms).emit('legal:consultation', { consultationId: c.id, status: c.status });
  };
}
