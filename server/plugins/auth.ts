import cookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../errors.ts';
import { principalForToken } from '../modules/auth/auth.service.ts';
import { isDatabaseUnavailable } from '../infrastructure-errors.ts';
import { type ParticipantPrincipal, participantForToken } from '../modules/invitations/invitations.service.ts';

export const sessionCookie = 'hq_session';

/**
 * Resolves the staff session cookie into `request.principal`, and a participant's invitation
 * (`Authorization: Invitation <token>`) into `request.participant`; null when absent or stale.
 */
export const authPlugin = fp(async (app: FastifyInstance, opts: { secureCookies: boolean }) => {
  await app.register(cookie);
  app.decorateRequest('principal', null);
  app.decorateRequest('participant', null);
  app.addHook('onRequest', async (request) => {
    const invitation = /^Invitation ([A-Za-z0-9_-]{43})$/.exec(request.headers.authorization ?? '')?.[1];
    if (invitation) {
      // An invalid link is the same as none: routes answer 401, the join page explains. Unknown
      // tokens count against the sender's address, which is refused after too many.
      await app.limits.guessing.assertTokenAllowed(request.ip);
      request.participant = await participantForToken(app.ctx, invitation).catch(async (error: unknown) => {
        // The database away is not an invalid link: 503, not 401 (the link works again once it is back).
        if (isDatabaseUnavailable(error)) throw error;
        if (error instanceof AppError && error.code === 'NOT_FOUND') await app.limits.guessing.tokenFailed(request.ip);
        return null;
      });
      return;
    }
    const token = request.cookies[sessionCookie];
    if (!token || token.length > 100) return;
    request.principal = (await principalForToken(app.ctx, token)) ?? null;
  });
  app.decorate('sessionCookieOptions', {
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: opts.secureCookies,
    path: '/',
  });
});

export function setSessionCookie(app: FastifyInstance, reply: FastifyReply, token: string, expiresAt: Date) {
  reply.setCookie(sessionCookie, token, { ...app.sessionCookieOptions, expires: expiresAt });
}

export function clearSessionCookie(app: FastifyInstance, reply: FastifyReply) {
  reply.clearCookie(sessionCookie, app.sessionCookieOptions);
}

declare module 'fastify' {
  interface FastifyRequest {
    participant: ParticipantPrincipal | null;
  }
  interface FastifyInstance {
    sessionCookieOptions: { httpOnly: true; sameSite: 'lax'; secure: boolean; path: string };
  }
}
