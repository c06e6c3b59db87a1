import type { FastifyRequest } from 'fastify';
import type { CourtCode } from '../../shared/domain/courts.ts';
import type { OrganisationKind, StaffRole } from '../../shared/domain/organisations.ts';
import { AppError, forbidden } from '../errors.ts';

/** The authenticated staff member behind a request. */
export interface Principal {
  staffUserId: string;
  username: string;
  displayName: string;
  role: StaffRole;
  /** The head of a mediation center (a mediator who assigns the center's cases). */
  centerHead: boolean;
  organisationId: string;
  organisationName: string;
  organisationKind: OrganisationKind;
  caseNumberPrefix: string | null;
  courtCode: CourtCode | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** The caller, who must be logged in and, when roles are given, hold one of them. */
export function requireStaff(request: FastifyRequest, roles?: readonly StaffRole[]): Principal {
  const principal = request.principal;
  if (!principal) throw new AppError('UNAUTHENTICATED', 'log in first');
  if (roles && !roles.includes(principal.role)) throw forbidden();
  return principal;
}

/** The staff member as the actor of an audit event. */
export const staffActor = (p: Principal) => ({ kind: 'staff' as const, staffUserId: p.staffUserId });
