import { hkdfSync } from 'node:crypto';
import path from 'node:path';
import closeWithGrace from 'close-with-grace';
import { Redis } from 'ioredis';
import { buildApp } from './app.ts';
import { loadConfig } from './config.ts';
import { openDatabase } from './db/client.ts';
import { loadOrCreatePlatformCertificate } from './documents/platform-certificate.ts';
import { WorkerPool } from './media/worker-pool.ts';
import { createIdNumberCipher, resolveEncryptionKey } from './security/id-number-cipher.ts';
import { createTimestamper } from './security/timestamp-authority.ts';
import { describeTsaTrust, readTsaTrustFile } from './security/tsa-trust-file.ts';
import { ensureDefaultSeals } from './modules/seals/seals.service.ts';
import { createTurnCredentials } from './security/turn-credentials.ts';
import { seedDemo } from './seed/demo.ts';

const config = loadConfig();
const say = (line: string) => process.stdout.write(`[haiqiao] ${line}\n`);

// Before anything else is opened: a trust file that cannot be read stops the start.
const tsaTrust = config.tsaTrustFile ? readTsaTrustFile(config.tsaTrustFile) : null;
say(tsaTrust ? `TSA trust list: ${describeTsaTrust(tsaTrust)} (${config.tsaTrustFile})` : 'TSA trust list: none (set HAIQIAO_TSA_TRUST_FILE): timestamps are reported as not checked');
if (config.tsaUrl && !tsaTrust) {
  process.stderr.write(
    '[haiqiao] WARNING: HAIQIAO_TSA_URL is set without HAIQIAO_TSA_TRUST_FILE: a timestamp signed by any certificate passes, so whoever can rewrite the audit chain can re-stamp it with a TSA of their own. Give the TSA\'s certificate or CA in HAIQIAO_TSA_TRUST_FILE.\n',
  );
}

say(config.databaseUrl ? 'database: PostgreSQL (DATABASE_URL)' : `database: embedded PGlite in ${config.dataDir}`);
const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
const { key, generated } = resolveEncryptionKey(config.encryptionKey, config.dataDir);
if (generated) say(`generated an ID-number encryption key in ${config.dataDir}/id-number.key (set HAIQIAO_ENCRYPTION_KEY in production)`);

const certificate = await loadOrCreatePlatformCertificate({
  dir: path.join(config.dataDir, 'keys'),
  ...(config.signingP12 ? { p12Path: config.signingP12.path, ...(config.signingP12.passphrase ? { p12Passphrase: config.signingP12.passphrase } : {}) } : {}),
});
say(`platform certificate ${certificate.fingerprintSha256.slice(0, 16)}… (${config.signingP12 ? config.signingP12.path : 'self-signed, in the data dir'}); each organisation seals with its own`);
const timestamper = config.tsaUrl ? createTimestamper({ url: config.tsaUrl, trust: tsaTrust }) : undefined;
say(timestamper ? `trusted time: seals and the audit head are timestamped by ${config.tsaUrl}` : 'trusted time: off (set HAIQIAO_TSA_URL to timestamp seals and the audit chain)');

const media = config.mediaWorkers > 0 ? await WorkerPool.start({ size: config.mediaWorkers, webRtcServer: config.rtc }) : null;
say(media ? `media: ${media.status().workers} mediasoup worker(s) ${media.status().version}, WebRTC on ${config.rtc.listenIp} UDP+TCP ports ${config.rtc.firstPort}–${config.rtc.firstPort + media.status().workers - 1}` : 'media: disabled (HAIQIAO_MEDIA_WORKERS=0)');

// Several nodes share their counters (rate limits, guessing locks) through Redis; one process keeps them in memory.
const redis = config.redisUrl ? new Redis(config.redisUrl, { enableOfflineQueue: false, lazyConnect: true }) : null;
if (redis) await redis.connect();
say(redis ? `rate limits, guessing counters and room events: shared in Redis at ${new URL(config.redisUrl!).host}` : 'rate limits and guessing counters: in memory (set HAIQIAO_REDIS_URL when running several nodes)');

const app = await buildApp({
  database,
  ...(redis ? { rateLimitStore: { kind: 'redis' as const, client: redis, namespace: config.redisNamespace }, redis, redisNamespace: config.redisNamespace } : {}),
  cipher: createIdNumberCipher(key),
  media,
  publicUrl: config.publicUrl,
  sessionHours: config.sessionHours,
  loginRatePerMinute: config.loginRatePerMinute,
  socketLimits: { budgetScale: config.socketBudgetScale },
  secureCookies: config.secureCookies,
  trustProxy: config.trustedProxies,
  filesDir: path.join(config.dataDir, 'files'),
  certificate,
  tsaTrust,
  ...(timestamper ? { timestamper, auditAnchorIntervalMs: config.auditAnchorMinutes * 60_000 } : {}),
  urlSigningKey: new Uint8Array(hkdfSync('sha256', key, 'haiqiao', 'signed-file-urls', 32)),
  logger: { level: config.logLevel },
  turn: config.turn ? createTurnCredentials(config.turn) : null,
  ...(config.node ? { node: config.node } : {}),
  ...(config.clientDir ? { clientDir: config.clientDir } : {}),
});
say(config.node ? `cluster node ${config.node.id} (${config.node.httpUrl}, media ${config.node.rtcAddress}): rooms placed per node, heartbeat every second` : 'one node: every room in this process');
say(config.turn ? `TURN: ${config.turn.urls.join(', ')} (credentials valid ${config.turn.ttlSeconds} s)` : 'TURN: none (HAIQIAO_TURN_SECRET unset): media needs UDP or TCP to the WebRTC port');

const seeded = config.seedDemo ? await seedDemo(database.db) : null;
const testSeals = await ensureDefaultSeals(app.ctx);
if (testSeals > 0) say(`gave ${testSeals} organisation(s) a self-signed TEST sealing certificate; an admin installs each one's own PKCS#12 in 管理 → 机构`);
void app.sealer.resumePending();

closeWithGrace({ delay: 10_000 }, async ({ err, signal }) => {
  if (err) app.log.error({ err }, 'closing after an error');
  else app.log.info({ signal }, 'shutting down');
  await app.close();
  media?.close();
  await redis?.quit();
  await database.close();
});

const address = await app.listen({ host: config.host, port: config.port });
const url = config.publicUrl ?? address.replace('127.0.0.1', 'localhost');
say(`listening on ${address}; open ${url}  (API reference: ${url}/docs)`);
if (seeded) {
  say('first start: created the Ningbo and Xiamen maritime courts, a two-province tree of mediation centers and these accounts:');
  say(`  mediator  ${seeded.mediator.username} / ${seeded.mediator.password}`);
  say(`  clerk     ${seeded.clerk.username} / ${seeded.clerk.password}`);
  say(`  judge     ${seeded.judge.username} / ${seeded.judge.password}`);
  say(`  admin     ${seeded.admin.username} / ${seeded.admin.password}`);
  say(`  village   ${seeded.village.username} / ${seeded.village.password}  (boat-owner room: escalate a case)`);
  say(`  fuding    ${seeded.fuding.username} / ${seeded.fuding.password}  (Fuding county center, Fujian side)`);
}
