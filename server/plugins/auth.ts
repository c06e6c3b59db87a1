import cookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply } from 'fastify';
import fp from 'fastify-plugin';
import { principalForToken } from '../modules/auth/auth.service';

export const sessionCookie = 'hq_session';

/** Resolves the staff session cookie into `request.principal` (null when absent or stale). */
export const authPlugin = fp(async (app: FastifyInstance, opts: { secureCookies: boolean }) => {
  await app.register(cookie);
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request) => {
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
  interface FastifyInstance {
    sessionCookieOptions: { httpOnly: true; sameSite: 'lax'; secure: boolean; path: string };
  }
}
