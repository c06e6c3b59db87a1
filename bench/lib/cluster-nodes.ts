// Haiqiao nodes as separate processes, started the way scripts/cluster.sh starts them (plain
// `node server/main.ts` per node, HAIQIAO_NODE_ID, one shared PostgreSQL database and Redis),
// each optionally pinned to a core with taskset (its mediasoup worker inherits the affinity).
// Used by the several-node benchmarks; the caller owns the database.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';

export interface ClusterNode {
  id: string;
  url: string;
  pid: number;
  process: ChildProcess;
  log: string;
}

export interface Cluster {
  nodes: ClusterNode[];
  stop(): Promise<void>;
}

export interface ClusterOptions {
  databaseUrl: string;
  redisUrl: string;
  /** One core per node (taskset -c), or none to leave them unpinned. */
  cores: (number | null)[];
  /** mediasoup workers per node (1; 0 runs the nodes without media). */
  mediaWorkers: 0 | 1;
  /** Extra environment for every node. */
  env?: Record<string, string>;
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** A TCP port nothing listens on now (the kernel's choice). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitHealthy(node: ClusterNode) {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (node.process.exitCode !== null) throw new Error(`${node.id} exited (${node.process.exitCode}); log ${node.log}:\n${fs.readFileSync(node.log, 'utf8').slice(-2000)}`);
    try {
      if ((await fetch(`${node.url}/api/health`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${node.id} did not become healthy in 90 s (log ${node.log})`);
}

/** Starts the nodes one after the other (the first creates the keys). */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'haiqiao-cluster-bench-'));
  // Own namespace in the shared Redis: other runs on this machine keep theirs.
  const namespace = `bench_${randomBytes(5).toString('hex')}`;
  const nodes: ClusterNode[] = [];
  const stop = async () => {
    for (const node of nodes) if (node.process.exitCode === null) node.process.kill('SIGTERM');
    await Promise.all(nodes.map((node) => (node.process.exitCode !== null ? undefined : new Promise((r) => node.process.once('exit', r)))));
    const redis = new Redis(options.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await redis.connect();
      const keys = await redis.keys(`${namespace}*`);
      if (keys.length) await redis.del(...keys);
    } catch {
      // best effort: the keys expire
    } finally {
      redis.disconnect();
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    // WebRTC ports: a random stretch, so that runs of other engineers (cluster.sh uses 40000+) do not collide.
    const rtcBase = randomInt(42_000, 58_000);
    for (const [i, core] of options.cores.entries()) {
      const port = await freePort();
      const id = `node${i + 1}`;
      const url = `http://127.0.0.1:${port}`;
      const log = path.join(dataDir, `${id}.log`);
      const env = {
        ...process.env,
        ...options.env,
        HOST: '127.0.0.1',
        PORT: String(port),
        DATABASE_URL: options.databaseUrl,
        HAIQIAO_REDIS_URL: options.redisUrl,
        HAIQIAO_REDIS_NAMESPACE: namespace,
        HAIQIAO_DATA_DIR: dataDir,
        PUBLIC_URL: url,
        HAIQIAO_NODE_ID: id,
        HAIQIAO_NODE_URL: url,
        HAIQIAO_RTC_PORT: String(rtcBase + i),
        HAIQIAO_MEDIA_WORKERS: String(options.mediaWorkers),
        HAIQIAO_SEED_DEMO: 'false',
        // One mediator issues codes to and admits a whole storm: see HAIQIAO_SOCKET_BUDGET_SCALE.
        HAIQIAO_SOCKET_BUDGET_SCALE: '20',
      };
      const out = fs.openSync(log, 'w');
      const command = core === null ? [process.execPath] : ['taskset', '-c', String(core), process.execPath];
      const child = spawn(command[0]!, [...command.slice(1), 'server/main.ts'], { cwd: repoRoot, env, stdio: ['ignore', out, out] });
      fs.closeSync(out);
      const node: ClusterNode = { id, url, pid: child.pid!, process: child, log };
      nodes.push(node);
      await waitHealthy(node);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { nodes, stop };
}
