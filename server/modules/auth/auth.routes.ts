import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { loginRequestSchema, meSchema } from '../../../shared/api/auth.ts';
import { okSchema } from '../../../shared/api/common.ts';
import { AppError } from '../../errors.ts';
import { clearSessionCookie, sessionCookie, setSessionCookie } from '../../plugins/auth.ts';
import { login, logout } from './auth.service.ts';
import { requireStaff, type Principal } from '../../access/principal.ts';

export function meOf(p: Principal) {
  return {
    id: p.staffUserId,
    username: p.username,
    displayName: p.displayName,
    role: p.role,
    centerHead: p.centerHead,
    organisation: { id: p.organisationId, kind: p.organisationKind, name: p.organisationName, caseNumberPrefix: p.caseNumberPrefix, courtCode: p.courtCode },
  };
}

export const authRoutes: FastifyPluginAsyncZod<{ loginRatePerMinute: number }> = async (app, opts) => {
  app.post(
    '/auth/login',
    {
      schema: { tags: ['auth'], body: loginRequestSchema, response: { 200: meSchema } },
      config: { rateLimit: { max: opts.loginRatePerMinute, timeWindow: '1 minute' } },
    },
    async (request, reply) => {
      const { username, password } = request.body;
      await app.limits.guessing.assertLoginAllowed(username);
      const session = await login(app.ctx, username, password).catch(async (error: unknown) => {
        if (error instanceof AppError && error.code === 'UNAUTHENTICATED') await app.limits.guessing.loginFailed(username);
        throw error;
      });
      await app.limits.guessing.clearLoginFailures(username);
      setSessionCookie(app, reply, session.token, session.expiresAt);
      return meOf(session.principal);
    },
  );

  app.post('/auth/logout', { schema: { tags: ['auth'], response: { 200: okSchema } } }, async (request, reply) => {
    const token = request.cookies[sessionCookie];
    if (token) await logout(app.ctx, token);
    clearSessionCookie(app, reply);
    return { ok: true as const };
  });

  app.get('/auth/me', { schema: { tags: ['auth'], response: { 200: meSchema } } }, async (request) => meOf(requireStaff(request)));
};
