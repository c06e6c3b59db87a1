import { fromPglite, PgBoss } from 'pg-boss';
import type { Database } from '../db/client.ts';
import { isDatabaseUnavailable } from '../infrastructure-errors.ts';

/**
 * Background work (sealing, rulings, later reminders and recording post-processing) goes
 * through pg-boss, a job queue kept in the same PostgreSQL (or the embedded PGlite) as the data:
 * jobs survive restarts, are retried with exponential backoff, and every node of a cluster can
 * work them without two nodes taking the same job (SKIP LOCKED). A job sent with a key is
 * queued at most once while one with that key is queued or running ('exclusive' policy), so two
 * nodes asked to seal the same agreement queue one job.
 */

export interface JobLog {
  error(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface JobKind<T extends object> {
  name: string;
  /** Must be idempotent: a retried job may find its work already done. */
  run(data: T): Promise<void>;
  /** Attempts after the first, then the job is kept as failed for an operator. */
  retryLimit: number;
  /** First retry after this many seconds, doubling each time up to retryDelayMaxSeconds. */
  retryDelaySeconds: number;
  retryDelayMaxSeconds: number;
  /** A running job taking longer than this counts as failed and is retried. */
  expireInSeconds: number;
}

const activeStates = new Set(['created', 'retry', 'active']);

export class JobQueue {
  readonly #boss: PgBoss;
  readonly #log: JobLog;
  readonly #kinds = new Map<string, string>(); // name → local worker id
  /** Sends still on their way to the database, so that idle() does not answer before they land. */
  readonly #sending = new Set<Promise<unknown>>();
  #stopped = false;

  private constructor(boss: PgBoss, log: JobLog) {
    this.#boss = boss;
    this.#log = log;
  }

  /** Starts pg-boss on the application's database (creating its `pgboss` schema on first start). */
  static async start(database: Database, log: JobLog): Promise<JobQueue> {
    const connection = database.pglite
      ? { db: fromPglite(database.pglite) }
      : { connectionString: database.url!, max: 3, application_name: 'haiqiao-jobs' };
    // The embedded database is one process by definition: no clock-skew checks or queue statistics.
    const boss = new PgBoss({ ...connection, schema: 'pgboss', monitorIntervalSeconds: 60, persistQueueStats: false });
    boss.on('error', (err: unknown) => log.error({ err }, 'job queue error'));
    await boss.start();
    return new JobQueue(boss, log);
  }

  /** Declares a kind of job and starts working it on this node, one job at a time. */
  async define<T extends object>(kind: JobKind<T>): Promise<void> {
    await this.#boss.createQueue(kind.name, {
      policy: 'exclusive',
      retryLimit: kind.retryLimit,
      retryDelay: kind.retryDelaySeconds,
      retryBackoff: true,
      retryDelayMax: kind.retryDelayMaxSeconds,
      expireInSeconds: kind.expireInSeconds,
    });
    const workerId = await this.#boss.work<T>(kind.name, { batchSize: 1, pollingIntervalSeconds: 2 }, async ([job]) => {
      if (!job) return;
      try {
        await kind.run(job.data);
      } catch (err) {
        this.#log.warn({ err, job: kind.name, data: job.data, attempt: job.retryCount + 1 }, 'job failed; pg-boss retries it with backoff');
        // A database outage: pg-boss can record the failure (and so the retry) only once it is
        // back; otherwise the job would sit 'active' until it expires.
        if (isDatabaseUnavailable(err)) await this.#databaseBack();
        throw err;
      }
    });
    this.#kinds.set(kind.name, workerId);
  }

  async #databaseBack(timeoutMs = 60_000) {
    const deadline = Date.now() + timeoutMs;
    while (!this.#stopped && Date.now() < deadline) {
      try {
        await this.#boss.getDb().executeSql('select 1');
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  }

  /** Queues a job (once per key while one is pending) and wakes this node's worker for it. */
  async send<T extends object>(name: string, data: T, key: string): Promise<void> {
    if (this.#stopped) return;
    const sent = this.#boss.send(name, data, { singletonKey: key });
    this.#sending.add(sent);
    try {
      await sent;
    } finally {
      this.#sending.delete(sent);
    }
    const workerId = this.#kinds.get(name);
    if (workerId) this.#boss.notifyWorker(workerId);
  }

  /** Runs a kind of job on a cron schedule (UTC), once per tick across the whole cluster. */
  async every(name: string, cron: string): Promise<void> {
    await this.#boss.schedule(name, cron, {}, { singletonKey: name });
  }

  /** Resolves once no job of the defined kinds is ready or running (retries waiting for their time do not count). */
  async idle(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await Promise.allSettled([...this.#sending]);
      let busy = false;
      for (const name of this.#kinds.keys()) {
        // Right after a database outage a pooled connection may still be a dead one: ask again.
        const jobs = await this.#boss.findJobs(name, { limit: 1000 }).catch((err: unknown) => {
          if (isDatabaseUnavailable(err)) return [{ state: 'active', startAfter: new Date(0) }];
          throw err;
        });
        const now = Date.now();
        if (jobs.some((j) => activeStates.has(j.state) && (j.state === 'active' || new Date(j.startAfter).getTime() <= now))) busy = true;
      }
      if (!busy || this.#stopped) return;
      if (Date.now() > deadline) throw new Error('job queue still busy after the timeout');
      for (const workerId of this.#kinds.values()) this.#boss.notifyWorker(workerId);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Stops working (a running job finishes, up to 10 s) and closes pg-boss's connections. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await this.#boss.stop({ graceful: true, timeout: 10_000, close: true });
  }
}
