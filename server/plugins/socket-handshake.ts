import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { Socket } from 'socket.io';
import { AppError } from '../errors.ts';
import { principalForToken } from '../modules/auth/auth.service.ts';
import { participantForToken } from '../modules/invitations/invitations.service.ts';
import { findByResumeHash, hasUnrevokedInvitation } from '../modules/rooms/attendance.repository.ts';
import type { SocketIdentity } from '../modules/rooms/rooms.service.ts';
import { hashToken } from '../security/tokens.ts';
import { sessionCookie } from './auth.ts';

/**
 * Who a socket is, decided once at the handshake: a staff login (cookie), an invitation token or
 * a resume token. Each token is checked here, so a made-up one is refused before the connection
 * exists; unknown tokens count against the sender's address like on the REST paths.
 */
export async function identify(app: FastifyInstance, socket: Socket): Promise<SocketIdentity> {
  const address = socket.handshake.address;
  const invitationToken = stringOrUndefined(socket.handshake.auth?.invitationToken);
  if (invitationToken) {
    if (!/^[A-Za-z0-9_-]{43}$/.test(invitationToken)) throw new AppError('VALIDATION_FAILED', 'malformed invitation token', 'invitationToken');
    await app.limits.guessing.assertTokenAllowed(address);
    const { participantId, sessionId, invitationId } = await participantForToken(app.ctx, invitationToken).catch(countUnknown(app, address));
    return { kind: 'participant', participantId, sessionId, invitationId };
  }
  const cookieHeader = socket.handshake.headers.cookie;
  const token = cookieHeader ? app.parseCookie(cookieHeader)[sessionCookie] : undefined;
  if (token) {
    const principal = await principalForToken(app.ctx, token);
    if (principal) return { kind: 'staff', principal };
  }
  const resumeToken = resumeTokenOf(socket);
  if (resumeToken) {
    await app.limits.guessing.assertTokenAllowed(address);
    const attendance = await findByResumeHash(app.ctx.db, hashToken(resumeToken));
    if (!attendance) {
      await app.limits.guessing.tokenFailed(address);
      throw expiredPlace();
    }
    // Same rules as on entering: a refused, removed or withdrawn person has no place to resume.
    if (attendance.state === 'refused' || attendance.state === 'removed') throw new AppError('FORBIDDEN', 'you may no longer join this session');
    if (attendance.participantId && !(await hasUnrevokedInvitation(app.ctx.db, attendance.sessionId, attendance.participantId))) {
      throw new AppError('INVITATION_REVOKED', 'this invitation is no longer valid');
    }
    return { kind: 'resume' };
  }
  throw new AppError('UNAUTHENTICATED', 'log in or open your invitation link');
}

export function resumeTokenOf(socket: Socket): string | undefined {
  return stringOrUndefined(socket.handshake.auth?.resumeToken);
}

const expiredPlace = () => new AppError('UNAUTHENTICATED', 'your place in this session has expired; open your invitation link again');

const countUnknown = (app: FastifyInstance, address: string) => async (error: unknown): Promise<never> => {
  if (error instanceof AppError && error.code === 'NOT_FOUND') await app.limits.guessing.tokenFailed(address);
  throw error;
};

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 && value.length <= 200 ? value : undefined;
}

/**
 * socket.io's allowRequest: a browser always names the page's origin, which must be the service's
 * own (its public URL, or the address this request reached, as with the dev proxy). Clients that
 * are not browsers send no Origin and still need a token.
 */
export function originAllowed(publicUrl: string | undefined) {
  const publicOrigin = publicUrl ? new URL(publicUrl).origin : undefined;
  return (request: IncomingMessage, callback: (error: string | null | undefined, allowed: boolean) => void) => {
    const origin = request.headers.origin;
    if (origin === undefined) return callback(null, true);
    const host = request.headers.host;
    const own = host ? [`http://${host}`, `https://${host}`] : [];
    const allowed = origin === publicOrigin || own.includes(origin);
    callback(allowed ? null : 'origin not allowed', allowed);
  };
}
