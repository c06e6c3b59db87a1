// A fixed-size pool of mediasoup workers: one process per core, routers placed on the least
// loaded worker, dead workers replaced. mediasoup only; no database, modules or Fastify here.
import type { types } from 'mediasoup';
import { resolveWorkerBinary, type WorkerBinary } from './worker-binary.ts';

type Mediasoup = typeof import('mediasoup');

/** Minimal logger (pino's signature, so Fastify's logger fits). */
export interface PoolLogger {
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface WorkerPoolOptions {
  /** Number of workers; callers pass min(os.availableParallelism(), configured). */
  size: number;
  rtcMinPort?: number;
  rtcMaxPort?: number;
  logLevel?: types.WorkerLogLevel;
  /**
   * Called once per dead worker with its pid, after the pool has tried to start its
   * replacement (so leastLoaded() can already be used to rebuild the worker's rooms).
   */
  onWorkerDied?: (pid: number, error: Error) => void;
  logger?: PoolLogger;
  /**
   * One WebRtcServer per worker, each on a single UDP+TCP port (firstPort + worker slot), so a
   * firewall needs only `size` ports open. Without it, WebRtcTransports need listenInfos.
   */
  webRtcServer?: WebRtcServerOptions;
}

export interface WebRtcServerOptions {
  listenIp: string;
  /** Address browsers reach (public IP or DNS name) when listenIp is 0.0.0.0 or behind NAT. */
  announcedAddress?: string | undefined;
  /** 0: each worker's UDP and TCP ports are picked from the free ones (tests running side by side). */
  firstPort: number;
}

export interface WorkerPoolStatus {
  /** Configured pool size. */
  workers: number;
  /** Workers currently running. */
  alive: number;
  /** mediasoup version (library and worker binary). */
  version: string;
}

const consoleLogger: PoolLogger = {
  warn: (obj, msg) => console.warn(msg ?? '', obj),
  error: (obj, msg) => console.error(msg ?? '', obj),
};

const RETRY_MIN_MS = 1_000;
const RETRY_MAX_MS = 30_000;

/**
 * Loads mediasoup and checks that the library and the worker binary (checked and labelled by
 * resolveWorkerBinary()) are the same version. Every createWorker() is then given that binary
 * explicitly (`workerBin`, per worker since mediasoup 3.2x), so what runs is what was checked.
 */
async function loadMediasoup(bin: WorkerBinary): Promise<Mediasoup> {
  const ms = await import('mediasoup');
  if (ms.version !== bin.version) {
    throw new Error(`mediasoup ${ms.version} is loaded but the worker binary is for ${bin.version}`);
  }
  return ms;
}

export class WorkerPool {
  readonly #ms: Mediasoup;
  /** The checked worker binary every worker is spawned from. */
  readonly #workerBin: string;
  readonly #options: WorkerPoolOptions;
  readonly #log: PoolLogger;
  /** Live workers and how many routers each one holds, in creation order. */
  readonly #routerCounts = new Map<types.Worker, number>();
  /** Each live worker's slot (which fixes its WebRtcServer port) and WebRtcServer. */
  readonly #slots = new Map<types.Worker, { slot: number; webRtcServer: types.WebRtcServer | undefined }>();
  readonly #retryTimers = new Set<NodeJS.Timeout>();
  /** nextWorker() calls waiting for a worker to start. */
  readonly #waiters = new Set<() => void>();
  #closed = false;

  private constructor(ms: Mediasoup, workerBin: string, options: WorkerPoolOptions) {
    this.#ms = ms;
    this.#workerBin = workerBin;
    this.#options = options;
    this.#log = options.logger ?? consoleLogger;
  }

  static async start(options: WorkerPoolOptions): Promise<WorkerPool> {
    if (!Number.isInteger(options.size) || options.size < 1) {
      throw new RangeError(`WorkerPool size must be a positive integer, got ${options.size}`);
    }
    const bin = resolveWorkerBinary();
    const pool = new WorkerPool(await loadMediasoup(bin), bin.path, options);
    try {
      await Promise.all(Array.from({ length: options.size }, (_, slot) => pool.#spawn(slot)));
    } catch (error) {
      pool.close();
      throw error;
    }
    return pool;
  }

  /** The live worker holding the fewest routers (first created wins ties). */
  leastLoaded(): types.Worker {
    const best = this.#pick();
    if (!best) throw new Error('no mediasoup worker is running');
    return best;
  }

  /**
   * Like leastLoaded(), but when no worker is running yet (the only one just died and its
   * replacement is starting) waits up to `timeoutMs` for one: how rooms are rebuilt after a death.
   */
  async nextWorker(timeoutMs = 15_000): Promise<types.Worker> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const best = this.#pick();
      if (best) return best;
      const left = deadline - Date.now();
      if (this.#closed || left <= 0) throw new Error('no mediasoup worker is running');
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.#waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, left);
        this.#waiters.add(done);
      });
    }
  }

  #pick(): types.Worker | undefined {
    let best: types.Worker | undefined;
    let bestCount = Infinity;
    for (const [worker, count] of this.#routerCounts) {
      // A dying worker closes its routers before it leaves the pool: never pick it meanwhile.
      if (worker.died || worker.closed) continue;
      if (count < bestCount) {
        best = worker;
        bestCount = count;
      }
    }
    return best;
  }

  /** The WebRtcServer of a live worker, when the pool was started with `webRtcServer`. */
  webRtcServerOf(worker: types.Worker): types.WebRtcServer | undefined {
    return this.#slots.get(worker)?.webRtcServer;
  }

  /** Live workers, in creation order. */
  get workers(): readonly types.Worker[] {
    return [...this.#routerCounts.keys()];
  }

  status(): WorkerPoolStatus {
    return { workers: this.#options.size, alive: this.#routerCounts.size, version: this.#ms.version };
  }

  /** Closes every worker (and so every router on them); dead workers are no longer replaced. */
  close(): void {
    this.#closed = true;
    for (const timer of this.#retryTimers) clearTimeout(timer);
    this.#retryTimers.clear();
    for (const wake of [...this.#waiters]) wake();
    const workers = [...this.#routerCounts.keys()];
    this.#routerCounts.clear();
    this.#slots.clear();
    for (const worker of workers) worker.close();
  }

  async #spawn(slot: number): Promise<types.Worker> {
    const { logLevel = 'warn', rtcMinPort, rtcMaxPort } = this.#options;
    const worker = await this.#ms.createWorker({
      workerBin: this.#workerBin,
      logLevel,
      ...(rtcMinPort !== undefined && { rtcMinPort }),
      ...(rtcMaxPort !== undefined && { rtcMaxPort }),
    });
    if (this.#closed) {
      worker.close();
      throw new Error('WorkerPool closed while a worker was starting');
    }
    let webRtcServer: types.WebRtcServer | undefined;
    const rtc = this.#options.webRtcServer;
    if (rtc) {
      const base = {
        ip: rtc.listenIp,
        ...(rtc.firstPort > 0 ? { port: rtc.firstPort + slot } : {}),
        ...(rtc.announcedAddress ? { announcedAddress: rtc.announcedAddress } : {}),
      };
      try {
        webRtcServer = await worker.createWebRtcServer({ listenInfos: [{ ...base, protocol: 'udp' }, { ...base, protocol: 'tcp' }] });
      } catch (error) {
        worker.close();
        throw error;
      }
    }
    this.#slots.set(worker, { slot, webRtcServer });
    this.#routerCounts.set(worker, 0);
    worker.observer.on('newrouter', (router: types.Router) => {
      this.#adjust(worker, +1);
      router.observer.once('close', () => this.#adjust(worker, -1));
    });
    // A worker closed directly (not through the pool) just leaves the pool; a dead one is replaced.
    worker.observer.once('close', () => {
      this.#routerCounts.delete(worker);
      this.#slots.delete(worker);
    });
    worker.once('died', (error: Error) => void this.#onDied(worker, error));
    for (const wake of [...this.#waiters]) wake();
    return worker;
  }

  #adjust(worker: types.Worker, delta: number): void {
    const count = this.#routerCounts.get(worker);
    if (count !== undefined) this.#routerCounts.set(worker, Math.max(0, count + delta));
  }

  async #onDied(worker: types.Worker, error: Error): Promise<void> {
    const slot = this.#slots.get(worker)?.slot ?? 0;
    this.#routerCounts.delete(worker);
    this.#slots.delete(worker);
    if (this.#closed) return;
    this.#log.error({ pid: worker.pid, err: error }, 'mediasoup worker died; replacing it');
    await this.#replace(slot, RETRY_MIN_MS);
    try {
      this.#options.onWorkerDied?.(worker.pid, error);
    } catch (err) {
      this.#log.error({ err }, 'onWorkerDied callback threw');
    }
  }

  /** Starts one replacement worker; on failure retries in the background with backoff. */
  async #replace(slot: number, retryMs: number): Promise<void> {
    if (this.#closed) return;
    try {
      await this.#spawn(slot);
    } catch (err) {
      if (this.#closed) return;
      this.#log.warn({ err, retryMs }, 'could not start a replacement mediasoup worker; retrying');
      const timer = setTimeout(() => {
        this.#retryTimers.delete(timer);
        void this.#replace(slot, Math.min(retryMs * 2, RETRY_MAX_MS));
      }, retryMs);
      timer.unref();
      this.#retryTimers.add(timer);
    }
  }
}
