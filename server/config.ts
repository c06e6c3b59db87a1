import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import type { TurnSettings } from './security/turn-credentials.ts';

const booleanish = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const envSchema = z.object({
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** Address people's browsers use to reach the service; invitation links are built on it. */
  PUBLIC_URL: z.url().optional(),
  /** postgres://… to use a PostgreSQL server; unset means the embedded PGlite database. */
  DATABASE_URL: z.string().min(1).optional(),
  HAIQIAO_DATA_DIR: z.string().default(path.resolve('data')),
  /** 32 bytes, base64: key for personal ID numbers at rest. Generated into the data dir if unset. */
  HAIQIAO_ENCRYPTION_KEY: z.string().optional(),
  HAIQIAO_SEED_DEMO: booleanish.default(true),
  HAIQIAO_MEDIA_WORKERS: z.coerce.number().int().min(0).max(64).default(os.availableParallelism()),
  /** Media (WebRTC) over one UDP+TCP port per worker: RTC_PORT, RTC_PORT+1, … */
  HAIQIAO_RTC_LISTEN_IP: z.string().default('127.0.0.1'),
  HAIQIAO_RTC_ANNOUNCED_ADDRESS: z.string().optional(),
  HAIQIAO_RTC_PORT: z.coerce.number().int().min(1024).max(65000).default(40000),
  HAIQIAO_SESSION_HOURS: z.coerce.number().int().min(1).max(24 * 30).default(12),
  HAIQIAO_LOGIN_RATE_PER_MINUTE: z.coerce.number().int().min(1).max(1000).default(10),
  /** Multiplies every socket event budget (server/plugins/socket-gate.ts): 1 in service; load benchmarks, whose one mediator admits hundreds at once, raise it. */
  HAIQIAO_SOCKET_BUDGET_SCALE: z.coerce.number().int().min(1).max(100).default(1),
  HAIQIAO_SECURE_COOKIES: booleanish.optional(),
  /** Comma-separated addresses of reverse proxies whose X-Forwarded-For is trusted. */
  HAIQIAO_TRUSTED_PROXIES: z.string().optional(),
  /** A PKCS#12 to sign sealed documents with; unset → a self-signed one created in the data dir. */
  HAIQIAO_SIGNING_P12: z.string().optional(),
  HAIQIAO_SIGNING_P12_PASSPHRASE: z.string().optional(),
  /** RFC 3161 time-stamping authority: seals get a trusted time (PAdES B-T), the audit head is anchored. */
  HAIQIAO_TSA_URL: z.url().optional(),
  /** PEM: the TSA's certificate and/or the CA(s) issuing it. Timestamps from any other TSA are reported untrusted. */
  HAIQIAO_TSA_TRUST_FILE: z.string().min(1).optional(),
  /** Minutes between timestamps of the audit chain's head (with a TSA). */
  HAIQIAO_AUDIT_ANCHOR_MINUTES: z.coerce.number().int().min(1).max(24 * 60).default(60),
  /** Shared with coturn (static-auth-secret): TURN credentials for admitted participants. Unset: no TURN. */
  HAIQIAO_TURN_SECRET: z.string().min(16).optional(),
  /** Comma-separated TURN URLs browsers get, e.g. turns:turn.example.cn:443?transport=tcp */
  HAIQIAO_TURN_URLS: z.string().optional(),
  HAIQIAO_TURN_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(3600),
  /** Redis shared by several nodes: rate limits and guessing counters hold across them. Unset: in memory (one process). */
  HAIQIAO_REDIS_URL: z.url().optional(),
  /** Key prefix in Redis: one per deployment sharing it. */
  HAIQIAO_REDIS_NAMESPACE: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/).default('hq'),
  /** Cluster mode: this node's id (letters, digits, - and _). Needs DATABASE_URL and HAIQIAO_REDIS_URL. */
  HAIQIAO_NODE_ID: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'letters, digits, - and _ (at most 40)').optional(),
  /** Where the proxy reaches this node (default http://HOST:PORT). */
  HAIQIAO_NODE_URL: z.url().optional(),
  /**
   * A node whose heartbeat is this old is taken for dead and its rooms are placed elsewhere.
   * Long enough that a node starved of CPU for a few seconds (its heartbeat late, not missing)
   * keeps its hearings; short enough that a real death is noticed quickly.
   */
  HAIQIAO_NODE_STALE_MS: z.coerce.number().int().min(2_000).max(60_000).default(6_000),
  /** The built client to serve (default dist/client; tests use dist/client-test). */
  HAIQIAO_CLIENT_DIR: z.string().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface Config {
  host: string;
  port: number;
  publicUrl: string | undefined;
  databaseUrl: string | undefined;
  dataDir: string;
  encryptionKey: string | undefined;
  seedDemo: boolean;
  mediaWorkers: number;
  rtc: { listenIp: string; announcedAddress: string | undefined; firstPort: number };
  sessionHours: number;
  loginRatePerMinute: number;
  socketBudgetScale: number;
  secureCookies: boolean;
  trustedProxies: string[] | false;
  signingP12: { path: string; passphrase: string | undefined } | undefined;
  tsaUrl: string | undefined;
  tsaTrustFile: string | undefined;
  auditAnchorMinutes: number;
  turn: TurnSettings | undefined;
  redisUrl: string | undefined;
  redisNamespace: string;
  node: { id: string; httpUrl: string; rtcAddress: string; staleMs: number } | undefined;
  clientDir: string | undefined;
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const turnUrls = (e.HAIQIAO_TURN_URLS ?? '').split(',').map((u) => u.trim()).filter(Boolean);
  if (Boolean(e.HAIQIAO_TURN_SECRET) !== turnUrls.length > 0) {
    throw new Error('Invalid configuration:\n  HAIQIAO_TURN_SECRET and HAIQIAO_TURN_URLS go together: set both or neither');
  }
  if (e.HAIQIAO_NODE_ID && !(e.DATABASE_URL && e.HAIQIAO_REDIS_URL)) {
    throw new Error('Invalid configuration:\n  HAIQIAO_NODE_ID (several nodes) needs DATABASE_URL (PostgreSQL) and HAIQIAO_REDIS_URL');
  }
  const rtcHost = e.HAIQIAO_RTC_ANNOUNCED_ADDRESS ?? e.HAIQIAO_RTC_LISTEN_IP;
  return {
    host: e.HOST,
    port: e.PORT,
    publicUrl: e.PUBLIC_URL?.replace(/\/$/, ''),
    databaseUrl: e.DATABASE_URL,
    dataDir: e.HAIQIAO_DATA_DIR,
    encryptionKey: e.HAIQIAO_ENCRYPTION_KEY,
    seedDemo: e.HAIQIAO_SEED_DEMO,
    mediaWorkers: Math.min(e.HAIQIAO_MEDIA_WORKERS, os.availableParallelism()),
    rtc: { listenIp: e.HAIQIAO_RTC_LISTEN_IP, announcedAddress: e.HAIQIAO_RTC_ANNOUNCED_ADDRESS, firstPort: e.HAIQIAO_RTC_PORT },
    sessionHours: e.HAIQIAO_SESSION_HOURS,
    loginRatePerMinute: e.HAIQIAO_LOGIN_RATE_PER_MINUTE,
    socketBudgetScale: e.HAIQIAO_SOCKET_BUDGET_SCALE,
    secureCookies: e.HAIQIAO_SECURE_COOKIES ?? (e.PUBLIC_URL?.startsWith('https://') ?? false),
    trustedProxies: e.HAIQIAO_TRUSTED_PROXIES ? e.HAIQIAO_TRUSTED_PROXIES.split(',').map((a) => a.trim()).filter(Boolean) : false,
    signingP12: e.HAIQIAO_SIGNING_P12 ? { path: e.HAIQIAO_SIGNING_P12, passphrase: e.HAIQIAO_SIGNING_P12_PASSPHRASE } : undefined,
    tsaUrl: e.HAIQIAO_TSA_URL,
    tsaTrustFile: e.HAIQIAO_TSA_TRUST_FILE,
    auditAnchorMinutes: e.HAIQIAO_AUDIT_ANCHOR_MINUTES,
    redisUrl: e.HAIQIAO_REDIS_URL,
    redisNamespace: e.HAIQIAO_REDIS_NAMESPACE,
    node: e.HAIQIAO_NODE_ID
      ? { id: e.HAIQIAO_NODE_ID, httpUrl: e.HAIQIAO_NODE_URL ?? `http://${e.HOST}:${e.PORT}`, rtcAddress: `${rtcHost}:${e.HAIQIAO_RTC_PORT}`, staleMs: e.HAIQIAO_NODE_STALE_MS }
      : undefined,
    turn: e.HAIQIAO_TURN_SECRET ? { secret: e.HAIQIAO_TURN_SECRET, urls: turnUrls, ttlSeconds: e.HAIQIAO_TURN_TTL_SECONDS } : undefined,
    clientDir: e.HAIQIAO_CLIENT_DIR ? path.resolve(e.HAIQIAO_CLIENT_DIR) : undefined,
    logLevel: e.LOG_LEVEL,
  };
}
