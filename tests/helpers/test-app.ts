import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import { type App, type AppDeps, buildApp } from '../../server/app.ts';
import type { NodeSettings } from '../../server/modules/cluster/node-membership.ts';
import type { Database } from '../../server/db/client.ts';
import type { WorkerPool } from '../../server/media/worker-pool.ts';
import type { StaffRole } from '../../shared/domain/organisations.ts';
import { createOrganisation, createStaffUser } from '../../server/modules/admin/admin.service.ts';
import { createIdNumberCipher } from '../../server/security/id-number-cipher.ts';
import type { Timestamper } from '../../server/security/timestamp-authority.ts';
import { createTurnCredentials, type TurnSettings } from '../../server/security/turn-credentials.ts';
import type { OrganisationId } from '../../shared/ids.ts';
import { createTestDatabase } from './test-database.ts';

export const testPassword = 'correct horse battery staple';

export interface TestWorld {
  app: App;
  database: Awaited<ReturnType<typeof createTestDatabase>>;
  orgs: { center: string; otherCenter: string; ningbo: string; wenzhouTribunal: string; xiamen: string };
  /** Cookie header value per staff account, logged in once. */
  cookies: Record<'mediator' | 'otherMediator' | 'ningboClerk' | 'wenzhouJudge' | 'xiamenClerk' | 'admin', string>;
  staffIds: Record<string, string>;
  clock: { now: Date };
  /** Where the app stores uploaded files (kept across restart, removed on close unless given). */
  filesDir: string;
  /** Listening address when started with `listen: true`. */
  baseUrl: string;
  /** Closes the app (as a server shutdown would) and starts a new one on the same database and port. */
  restart(): Promise<void>;
  /** Starts one more app on the same database and files, as a second node of a cluster; closed with the world. */
  addNode(options?: { node?: NodeSettings; listen?: boolean }): Promise<App & { baseUrl: string }>;
  close(): Promise<void>;
}

export interface TestWorldOptions {
  loginRatePerMinute?: number;
  media?: WorkerPool | null;
  reconnectGraceMs?: number;
  /** Listen on 127.0.0.1 (for sockets and browsers) instead of inject only. */
  listen?: boolean;
  /** Directory for uploaded files (default: a fresh temporary one, removed on close). */
  filesDir?: string;
  /** RFC 3161 client (e.g. over tests/helpers/tsa.ts) for seals and audit anchors. */
  timestamper?: Timestamper;
  /** The TSA certificates/CAs trusted (as HAIQIAO_TSA_TRUST_FILE); unset: timestamps are not checked against a list. */
  tsaTrust?: AppDeps['tsaTrust'];
  /** Shorter or smaller guessing and socket budgets than the defaults in force. */
  guessingLimits?: AppDeps['guessingLimits'];
  socketLimits?: AppDeps['socketLimits'];
  /** TURN servers handed to admitted participants (credentials on the world's clock). */
  turn?: TurnSettings;
  /** Where counters live (default memory); a Redis store makes them shared by every node of the world. */
  rateLimitStore?: AppDeps['rateLimitStore'];
  /** Where SMS go and how often a failed one is retried (defaults: the outbox, production retries). */
  smsProvider?: AppDeps['smsProvider'];
  notificationRetry?: AppDeps['notificationRetry'];
  /** Session recording settings (e.g. short segments). */
  recording?: AppDeps['recording'];
  /** Another PostgreSQL server than the shared one (tests/helpers/own-postgres.ts). */
  databaseAdminUrl?: string;
  /** Several nodes through Redis: socket.io's adapter and route limits (own namespace per test). */
  redis?: { client: NonNullable<AppDeps['redis']>; namespace: string };
  /** Cluster mode for the first node (each added node passes its own). */
  node?: NodeSettings;
}

/** Two centers, the two courts and a tribunal, one account of each kind, all logged in. */
export async function createTestWorld(options: TestWorldOptions = {}): Promise<TestWorld> {
  const database = await createTestDatabase(options.databaseAdminUrl);
  const clock = { now: new Date('2026-11-22T02:00:00Z') };
  const cipher = createIdNumberCipher(randomBytes(32));
  const filesDir = options.filesDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'haiqiao-test-files-'));
  const build = (node = options.node) =>
    buildApp({
      ...(node ? { node } : {}),
      database,
      cipher,
      media: options.media ?? null,
      publicUrl: 'https://haiqiao.test',
      loginRatePerMinute: options.loginRatePerMinute ?? 1000,
      ...(options.reconnectGraceMs !== undefined ? { reconnectGraceMs: options.reconnectGraceMs } : {}),
      ...(options.turn ? { turn: createTurnCredentials(options.turn, () => clock.now) } : {}),
      now: () => clock.now,
      clientDir: null,
      filesDir,
      ...(options.timestamper ? { timestamper: options.timestamper } : {}),
      ...(options.tsaTrust ? { tsaTrust: options.tsaTrust } : {}),
      ...(options.guessingLimits ? { guessingLimits: options.guessingLimits } : {}),
      ...(options.socketLimits ? { socketLimits: options.socketLimits } : {}),
      ...(options.rateLimitStore ? { rateLimitStore: options.rateLimitStore } : {}),
      ...(options.smsProvider ? { smsProvider: options.smsProvider } : {}),
      ...(options.notificationRetry ? { notificationRetry: options.notificationRetry } : {}),
      ...(options.recording ? { recording: options.recording } : {}),
      ...(options.redis ? { redis: options.redis.client, redisNamespace: options.redis.namespace } : {}),
    });
  let app = await build();
  await app.ready();
  let baseUrl = '';
  if (options.listen) baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  const db = database.db;
  const center = await createOrganisation(db, null, { kind: 'mediation_center', name: '浙闽联调中心', caseNumberPrefix: '浙闽联调' });
  const otherCenter = await createOrganisation(db, null, { kind: 'mediation_center', name: '温州另一调解中心', caseNumberPrefix: '温调' });
  const ningbo = await createOrganisation(db, null, { kind: 'maritime_court', name: '宁波海事法院', courtCode: 'ningbo' });
  const wenzhouTribunal = await createOrganisation(db, null, { kind: 'tribunal', name: '宁波海事法院温州法庭', courtCode: 'ningbo.wenzhou' });
  const xiamen = await createOrganisation(db, null, { kind: 'maritime_court', name: '厦门海事法院', courtCode: 'xiamen' });
  const accounts: [keyof TestWorld['cookies'], string, StaffRole][] = [
    ['mediator', center.id, 'mediator'],
    ['otherMediator', otherCenter.id, 'mediator'],
    ['ningboClerk', ningbo.id, 'clerk'],
    ['wenzhouJudge', wenzhouTribunal.id, 'judge'],
    ['xiamenClerk', xiamen.id, 'clerk'],
    ['admin', center.id, 'admin'],
  ];
  const cookies = {} as TestWorld['cookies'];
  const staffIds: Record<string, string> = {};
  for (const [index, [key, organisationId, role]] of accounts.entries()) {
    const user = await createStaffUser(db, null, { organisationId: organisationId as OrganisationId, username: key.toLowerCase(), displayName: key, role, password: testPassword });
    staffIds[key] = user.id;
    // Each setup login comes from its own documentation address, so a low login rate limit
    // (see loginRatePerMinute) is left untouched for the test's own attempts from 127.0.0.1.
    cookies[key] = await login(app, key.toLowerCase(), testPassword, `198.51.100.${index + 1}`);
  }
  const extraNodes: App[] = [];
  const world: TestWorld = {
    app,
    database,
    orgs: { center: center.id, otherCenter: otherCenter.id, ningbo: ningbo.id, wenzhouTribunal: wenzhouTribunal.id, xiamen: xiamen.id },
    cookies,
    staffIds,
    clock,
    filesDir,
    baseUrl,
    async restart() {
      await world.app.close();
      app = await build();
      world.app = app;
      if (options.listen) await app.listen({ host: '127.0.0.1', port: Number(new URL(baseUrl).port) });
      else await app.ready();
    },
    async addNode(added: { node?: NodeSettings; listen?: boolean } = {}) {
      const node = await build(added.node);
      await node.ready();
      extraNodes.push(node);
      const nodeUrl = added.listen ? await node.listen({ host: '127.0.0.1', port: 0 }) : '';
      return Object.assign(node, { baseUrl: nodeUrl });
    },
    async close() {
      for (const node of extraNodes) await node.close();
      await world.app.close();
      await database.drop();
      if (!options.filesDir) fs.rmSync(filesDir, { recursive: true, force: true });
    },
  };
  return world;
}

export async function login(app: App, username: string, password: string, remoteAddress?: string): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password }, ...(remoteAddress ? { remoteAddress } : {}) });
  if (res.statusCode !== 200) throw new Error(`login failed for ${username}: ${res.body}`);
  const cookie = res.cookies.find((c) => c.name === 'hq_session');
  return `hq_session=${cookie!.value}`;
}

export function api(app: App, cookie: string | undefined) {
  const call = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: unknown) =>
    app.inject({ method, url, ...(payload === undefined ? {} : { payload: payload as object }), headers: cookie ? { cookie } : {} });
  return {
    get: (url: string) => call('GET', url),
    post: (url: string, payload: unknown = {}) => call('POST', url, payload),
    put: (url: string, payload: unknown) => call('PUT', url, payload),
    patch: (url: string, payload: unknown) => call('PATCH', url, payload),
    delete: (url: string) => call('DELETE', url),
  };
}

export function json<T = any>(res: LightMyRequestResponse): T {
  return res.json() as T;
}

/** The JSON body of an answer that has the expected status (200 unless given); otherwise throws with what came. */
export async function ok(res: LightMyRequestResponse, status = 200) {
  if (res.statusCode !== status) throw new Error(`expected ${status}, got ${res.statusCode}: ${res.body}`);
  return json(res);
}

/** A valid resident ID (check digit computed), for parties. */
export const sampleResidentId = '11010519491231002X';

export const sampleCase = {
  title: '浙苍渔01234与闽福鼎货轮碰撞',
  disputeType: 'collision',
  incidentAt: '2026-10-01T03:00:00+08:00',
  incidentPosition: { lat: 27.05, lon: 120.95 },
  seaArea: 'nanji_islands',
  incidentDescription: '夜间作业时被货轮碰撞，渔船倾覆，一人受伤。',
  provinces: ['zhejiang', 'fujian'],
  claimedAmountFen: 86_000_000,
  competentCourt: 'ningbo.wenzhou',
  parties: [
    { kind: 'person', name: '陈阿海', idType: 'resident_id', idNumber: sampleResidentId, phone: '13800138000' },
    { kind: 'organisation', name: '福鼎远洋运输有限公司' },
  ],
  vessels: [{ name: '浙苍渔01234', registrationNumber: '330327000123', mmsi: '412345678', portOfRegistry: '苍南', ownerPartyIndex: 0 }],
} as const;

/**
 * Every table a request could write to (all but staff_sessions, which a login or logout changes
 * by design). tests/server/authorization.test.ts checks this list against the migrated database,
 * so a new table is not missed.
 */
export const dataTables = [
  'organisations',
  'staff_users',
  'cases',
  'parties',
  'vessels',
  'participants',
  'sessions',
  'invitations',
  'audit_events',
  'case_number_counters',
  'attendances',
  'chat_messages',
  'live_rooms',
  'nodes',
  'room_caucuses',
  'evidence',
  'appraisal_statements',
  'agreements',
  'agreement_versions',
  'agreement_comments',
  'signatures',
  'signing_codes',
  'signing_identity_failures',
  'consent_recordings',
  'documents',
  'confirmations',
  'obligations',
  'organisation_seals',
  'audit_anchors',
  'compensation_figures',
  'notifications',
  'recordings',
  'recording_segments',
  'recording_gaps',
  'recording_consents',
  'recording_deletions',
  'case_transfers',
  'law_firms',
  'lawyers',
  'duty_shifts',
  'lawyer_slots',
  'consultations',
  'case_mediators',
  'mediator_profiles',
  'mediator_choices',
] as const;

/** The rows of a `db.execute` result (postgres.js gives an array, PGlite an object with `rows`). */
export function rowsOf<T>(result: unknown): T[] {
  return (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as T[];
}

/** Counts rows in every table: a request that fails must leave these unchanged. */
export async function tableCounts(database: Database): Promise<Record<string, number>> {
  // One statement for all tables: a round trip per table made this the slowest part of many tests.
  const columns = dataTables.map((table) => `(select count(*)::int from ${table}) as "${table}"`).join(', ');
  return rowsOf<Record<string, number>>(await database.db.execute(sql.raw(`select ${columns}`)))[0]!;
}

/**
 * Row count and a digest of every row of every table: unlike counts, this also notices an UPDATE
 * (a code marked used, a status moved, a timestamp touched) by a request that should change nothing.
 * One statement for all tables (one snapshot, one round trip), each as `count:md5`.
 */
export async function tableDigests(database: Database): Promise<Record<string, string>> {
  const columns = dataTables
    .map((table) => `(select count(*) || ':' || coalesce(md5(string_agg(md5(t::text), '' order by md5(t::text))), '') from ${table} t) as "${table}"`)
    .join(', ');
  return rowsOf<Record<string, string>>(await database.db.execute(sql.raw(`select ${columns}`)))[0]!;
}

/** How many files are stored below `dir` (uploads, sealed PDFs), in every subfolder. */
export function countFiles(dir: string): number {
  let n = 0;
  for (const entry of fs.readdirSync(dir)) {
    const full = path.join(dir, entry);
    n += fs.statSync(full).isDirectory() ? countFiles(full) : 1;
  }
  return n;
}

/**
 * Everything a request could change: every row of every table (see tableDigests) and the number
 * of stored files; sealing runs after commit, so its jobs finish first.
 */
export async function worldState(world: TestWorld) {
  await world.app.sealer.idle();
  return { tables: await tableDigests(world.database), files: countFiles(world.filesDir) };
}
