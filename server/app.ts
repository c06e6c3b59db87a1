import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import rateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyServerOptions } from 'fastify';
import type { Redis } from 'ioredis';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { ServiceContext } from './context.ts';
import type { Database } from './db/client.ts';
import { adminRoutes } from './modules/admin/admin.routes.ts';
import { compensationRoutes } from './modules/compensation/compensation.routes.ts';
import { auditRoutes } from './modules/audit/audit.routes.ts';
import { recordingsRoutes } from './modules/recordings/recordings.routes.ts';
import { authRoutes } from './modules/auth/auth.routes.ts';
import { casesRoutes } from './modules/cases/cases.routes.ts';
import { healthRoutes } from './modules/health/health.routes.ts';
import { invitationsRoutes } from './modules/invitations/invitations.routes.ts';
import { loadOrCreatePlatformCertificate, type PlatformCertificate } from './documents/platform-certificate.ts';
import type { TsaTrustList } from './documents/tsa-trust.ts';
import { agreementsRoutes } from './modules/agreements/agreements.routes.ts';
import { consentRoutes } from './modules/agreements/consent.routes.ts';
import { JobQueue } from './jobs/job-queue.ts';
import { createSealer } from './modules/documents/sealing-jobs.ts';
import { scheduleRetention } from './modules/recordings/recording-deletion.ts';
import { scheduleAnchoring } from './modules/audit/anchoring.ts';
import { createSealRegistry } from './modules/seals/seals.service.ts';
import type { Timestamper } from './security/timestamp-authority.ts';
import { confirmationsRoutes } from './modules/confirmations/confirmations.routes.ts';
import { dashboardRoutes } from './modules/dashboard/dashboard.routes.ts';
import { notificationsRoutes } from './modules/notifications/notifications.routes.ts';
import { transfersRoutes } from './modules/transfers/transfers.routes.ts';
import { deskPush } from './modules/legal/desk-push.ts';
import { legalRoutes } from './modules/legal/legal.routes.ts';
import { scheduleConsultationSweep } from './modules/legal/consultation-jobs.ts';
import { mediatorsRoutes } from './modules/mediators/mediators.routes.ts';
import { createNotifier, type NotificationRetry } from './modules/notifications/notifications.service.ts';
import { outboxSmsProvider, type SmsProvider } from './modules/notifications/sms-provider.ts';
import { documentsRoutes } from './modules/documents/documents.routes.ts';
import { appraisalsRoutes } from './modules/evidence/appraisals.routes.ts';
import { evidenceRoutes } from './modules/evidence/evidence.routes.ts';
import { followUpRoutes } from './modules/follow-up/follow-up.routes.ts';
import { evidenceLookup } from './modules/evidence/evidence.service.ts';
import type { AccessEffects } from './modules/sessions/access-effects.ts';
import { sessionsRoutes } from './modules/sessions/sessions.routes.ts';
import { authPlugin } from './plugins/auth.ts';
import { errorsPlugin, sendError } from './plugins/errors.ts';
import type { WorkerPool } from './media/worker-pool.ts';
import { realtimePlugin } from './plugins/realtime.ts';
import { securityHeadersPlugin } from './plugins/security-headers.ts';
import { createFileStorage } from './modules/evidence/file-storage.ts';
import type { IdNumberCipher } from './security/id-number-cipher.ts';
import { createGuessingLimits, defaultGuessingLimits, type GuessingLimits, type GuessingLimitSettings } from './security/guessing-limits.ts';
import { createLimiterFactory, type LimiterFactory, type RateLimitStore } from './security/rate-limit-store.ts';
import { createUrlSigner } from './security/signed-urls.ts';
import type { NodeSettings } from './modules/cluster/node-membership.ts';
import { defaultSocketLimits, type SocketLimitSettings } from './plugins/socket-gate.ts';
import type { TurnCredentials } from './security/turn-credentials.ts';

export interface AppDeps {
  database: Database;
  cipher: IdNumberCipher;
  media: WorkerPool | null;
  /** How long a dropped participant keeps their place (default five minutes). */
  reconnectGraceMs?: number;
  publicUrl?: string | undefined;
  sessionHours?: number;
  loginRatePerMinute?: number;
  secureCookies?: boolean;
  now?: () => Date;
  logger?: FastifyServerOptions['logger'];
  /**
   * Trust X-Forwarded-For from these proxy addresses (e.g. '127.0.0.1' behind nginx). Off by
   * default: otherwise any client could pick the address rate limits are keyed on.
   */
  trustProxy?: string | string[] | false;
  /** Where uploaded files live; main passes <data dir>/files (default: a fresh temporary directory). */
  filesDir?: string;
  /** Key for signed file links; main derives it from the configured secret (default: random). */
  urlSigningKey?: Uint8Array;
  /**
   * The platform's own certificate, which sealed documents before each organisation had its
   * own: still recognised by /verify (default: one shared by tests).
   */
  certificate?: PlatformCertificate;
  /** RFC 3161 client for seals (PAdES B-T) and audit anchors; unset: no trusted time. */
  timestamper?: Timestamper;
  /** The TSA certificates/CAs trusted (HAIQIAO_TSA_TRUST_FILE); null or unset: timestamps are reported as not checked. */
  tsaTrust?: TsaTrustList | null;
  /** Where SMS go (default: the outbox staff read); a cloud SMS API is one module implementing SmsProvider. */
  smsProvider?: SmsProvider;
  /** Retries of a failed SMS (default: 8, from 30 s doubling to an hour). */
  notificationRetry?: NotificationRetry;
  /** How often the audit chain's head is timestamped (needs `timestamper`; 0 or unset: never). */
  auditAnchorIntervalMs?: number;
  /** TURN credentials handed to admitted participants with their transports; null: no TURN. */
  turn?: TurnCredentials | null;
  /** Built client to serve (dist/client); null to serve none. */
  clientDir?: string | null;
  /** Where rate-limit counters live: memory (default) for one process, redis for several. */
  rateLimitStore?: RateLimitStore;
  /** Guessing and socket budgets; the defaults are in force, tests shorten windows. */
  guessingLimits?: Partial<GuessingLimitSettings>;
  socketLimits?: Partial<SocketLimitSettings>;
  /** Session recording: segment length and the free space below which it refuses (defaults: 10 s, 256 MiB). */
  recording?: { segmentSeconds?: number; minFreeBytes?: number };
  /**
   * Several nodes: a connected ioredis client. socket.io's Redis adapter then carries room events
   * between nodes and `@fastify/rate-limit` counts route limits there. Unset: one process.
   */
  redis?: Redis;
  /** Key prefix for everything in Redis (default `hq`): one per deployment sharing a Redis. */
  redisNamespace?: string;
  /** Several nodes: this process's id and addresses; rooms are placed per node (needs PostgreSQL and Redis). */
  node?: NodeSettings;
}

const defaultClientDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/client');
// JSON bodies are small; anything larger is refused with 413 before it is parsed.
const bodyLimit = 256 * 1024;

export async function buildApp(deps: AppDeps) {
  const app = Fastify({
    logger: deps.logger ?? false,
    bodyLimit,
    trustProxy: deps.trustProxy ?? false,
    // Refused by the router before any route (bad percent-encoding, a path segment over 100
    // characters): the same error envelope as everything else.
    frameworkErrors: (error, _request, reply) =>
      sendError(reply, { code: 'VALIDATION_FAILED', message: error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'a path segment is too long' : 'the URL is malformed' }),
  }).withTypeProvider<ZodTypeProvider>();
  // Only JSON is accepted: text/plain bodies get 415 like any other type.
  app.removeContentTypeParser('text/plain');
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  const filesDir = deps.filesDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'haiqiao-files-'));
  const ctx: ServiceContext = {
    db: deps.database.db,
    cipher: deps.cipher,
    now: deps.now ?? (() => new Date()),
    publicUrl: deps.publicUrl,
    sessionHours: deps.sessionHours ?? 12,
    files: createFileStorage(filesDir),
    urls: createUrlSigner(deps.urlSigningKey ?? randomBytes(32), deps.now ?? (() => new Date())),
  };
  app.decorate('ctx', ctx);
  app.decorate('filesDir', filesDir);
  const limiter = createLimiterFactory(deps.rateLimitStore ?? { kind: 'memory' });
  app.decorate('limits', { limiter, guessing: createGuessingLimits(limiter, { ...defaultGuessingLimits, ...deps.guessingLimits }) });

  await app.register(errorsPlugin);
  const redisNamespace = deps.redisNamespace ?? 'hq';
  await app.register(rateLimit, { global: false, ...(deps.redis ? { redis: deps.redis, nameSpace: `${redisNamespace}:route-limit:` } : {}) });
  await app.register(authPlugin, { secureCookies: deps.secureCookies ?? false });
  await app.register(swagger, {
    openapi: {
      info: { title: 'Haiqiao 海桥 API', description: 'Cloud mediation for maritime disputes', version: '0.1.0' },
      components: { securitySchemes: { session: { type: 'apiKey', in: 'cookie', name: 'hq_session' } } },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  await app.register(securityHeadersPlugin, { publicUrl: deps.publicUrl });

  await app.register(realtimePlugin, {
    pool: deps.media,
    evidence: evidenceLookup(ctx),
    graceMs: deps.reconnectGraceMs,
    publicUrl: deps.publicUrl,
    socketLimits: { ...defaultSocketLimits, ...deps.socketLimits },
    turn: deps.turn ?? null,
    recording: { filesDir, ...deps.recording },
    redis: deps.redis ?? null,
    redisNamespace,
    node: deps.node ?? null,
  });

  const certificate = deps.certificate ?? (await loadOrCreatePlatformCertificate({ dir: path.join(os.tmpdir(), 'haiqiao-test-platform-certificate') }));
  // After commit: tell live rooms of the case (co-review). A failure to tell is logged, never
  // turned into an error for a change that is already committed.
  const agreementChanged = (caseId: string, agreementId: string) => {
    try {
      app.roomEvents.notifyCase(caseId, 'agreement:updated', { agreementId });
    } catch (err) {
      app.log.error({ err, caseId, agreementId }, 'could not tell live rooms of an agreement change');
    }
  };
  const jobs = await JobQueue.start(deps.database, app.log);
  app.addHook('onClose', () => jobs.stop());
  const sealer = await createSealer(ctx, createSealRegistry(ctx), app.log, agreementChanged, jobs, deps.timestamper);
  if (deps.timestamper && deps.auditAnchorIntervalMs) {
    const anchoring = scheduleAnchoring(ctx.db, deps.timestamper, deps.auditAnchorIntervalMs, app.log);
    app.addHook('onClose', () => anchoring.stop());
  }
  app.decorate('sealer', sealer);
  const notifier = await createNotifier(ctx, jobs, deps.smsProvider ?? outboxSmsProvider, app.log, deps.notificationRetry);
  app.decorate('notifier', notifier);
  await scheduleRetention(ctx, filesDir, jobs, app.log);
  // …and seal what was fully signed or ruled on.
  const agreementEffects = {
    changed: agreementChanged,
    signedByAll: (agreementId: string) => void sealer.sealAgreement(agreementId),
  };
  const confirmationEffects = { decided: (confirmationId: string) => void sealer.issueRuling(confirmationId), agreementChanged, notified: (ids: string[]) => notifier.queued(ids) };
  // After commit, before the answer: a revoked link or a participant removed from the case is let
  // go from live rooms (connections ended, resume tokens void). Logged, never an error for the request.
  const accessEffects: AccessEffects = {
    withdrawn: (withdrawal) =>
      app.roomEvents.withdrawAccess(withdrawal).catch((err: unknown) => app.log.error({ err, ...withdrawal }, 'could not let go of a participant in live rooms')),
    sessionClosed: (sessionId) => app.roomEvents.sessionClosed(sessionId).catch((err: unknown) => app.log.error({ err, sessionId }, 'could not end the live room of an ended session')),
  };
  const consultationEffects = { notifications: notifier, access: accessEffects, desk: deskPush(app.io) };
  app.decorate('consultations', await scheduleConsultationSweep(ctx, jobs, consultationEffects));

  await app.register(
    async (api) => {
      await api.register(healthRoutes, { driver: deps.database.driver, ping: deps.database.ping, media: deps.media });
      await api.register(authRoutes, { loginRatePerMinute: deps.loginRatePerMinute ?? 10 });
      await api.register(adminRoutes, { tsaTrust: deps.tsaTrust ?? null });
      await api.register(casesRoutes);
      await api.register(sessionsRoutes, { effects: accessEffects });
      await api.register(invitationsRoutes, { effects: accessEffects, notifications: notifier });
      await api.register(auditRoutes);
      await api.register(recordingsRoutes);
      await api.register(evidenceRoutes);
      await api.register(appraisalsRoutes);
      await api.register(agreementsRoutes, { effects: agreementEffects });
      await api.register(consentRoutes);
      await api.register(confirmationsRoutes, { effects: confirmationEffects });
      await api.register(followUpRoutes);
      await api.register(documentsRoutes, { certificate, tsaTrust: deps.tsaTrust ?? null });
      await api.register(compensationRoutes);
      await api.register(dashboardRoutes);
      await api.register(notificationsRoutes, { notifications: notifier });
      await api.register(transfersRoutes, { notifications: notifier });
      await api.register(mediatorsRoutes, { notifications: notifier });
      await api.register(legalRoutes, { effects: consultationEffects });
    },
    { prefix: '/api' },
  );



  const clientDir = deps.clientDir === undefined ? defaultClientDir : deps.clientDir;
  const hasClient = Boolean(clientDir && fs.existsSync(path.join(clientDir, 'index.html')));
  // preCompressed: the build writes .br and .gz copies; browsers get the smallest they accept.
  if (hasClient) await app.register(fastifyStatic, { root: clientDir!, wildcard: false, preCompressed: true });
  // Client-side routes (/cases/…, /j/<token>) get the app shell; anything else a JSON 404.
  app.setNotFoundHandler((request, reply) => {
    const pathname = request.url.split('?')[0]!;
    if (hasClient && request.method === 'GET' && !pathname.startsWith('/api/') && !path.extname(pathname)) {
      return reply.header('Cache-Control', 'no-store').sendFile('index.html');
    }
    return sendError(reply, { code: 'NOT_FOUND', message: `no route ${request.method} ${pathname}` });
  });

  return app;
}

export type App = Awaited<ReturnType<typeof buildApp>>;

declare module 'fastify' {
  interface FastifyInstance {
    sealer: import('./modules/documents/sealing-jobs.ts').Sealer;
    notifier: import('./modules/notifications/notifications.service.ts').Notifier;
    /** Legal help's every-minute sweep (bookings due, unanswered requests). */
    consultations: import('./modules/legal/consultation-jobs.ts').ConsultationSweep;
    /** The files directory (recordings live under recordings/ in it). */
    filesDir: string;
    /** Rate-limit counters (one store for all) and the guessing limits built on them. */
    limits: { limiter: LimiterFactory; guessing: GuessingLimits };
  }
}
