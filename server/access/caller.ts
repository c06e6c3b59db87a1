import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors.ts';
import { type Principal, staffActor } from './principal.ts';
import type { ParticipantPrincipal } from '../modules/invitations/invitations.service.ts';

/** Someone acting on a case: a staff member (cookie) or a participant (invitation). */
export type Caller = { kind: 'staff'; principal: Principal } | { kind: 'participant'; participant: ParticipantPrincipal };

export function requireCaller(request: FastifyRequest): Caller {
  if (request.participant) return { kind: 'participant', participant: request.participant };
  if (request.principal) return { kind: 'staff', principal: request.principal };
  throw new AppError('UNAUTHENTICATED', 'log in or open your invitation link');
}

/** The caller as the actor of an audit event. */
export const actorOf = (caller: Caller) =>
  caller.kind === 'staff' ? staffActor(caller.principal) : { kind: 'participant' as const, participantId: caller.participant.participantId };
