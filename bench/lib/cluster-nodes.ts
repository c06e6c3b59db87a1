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
  /** Its cgroup, when a CPU quota was asked for. */
  cpuGroup?: string;
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
  /**
   * At most this share of a core for each node and its worker (a cgroup v1 CPU quota; root). With
   * both of a 2-core machine's cores pinned to nodes, PostgreSQL and the clients would otherwise
   * take their CPU from the nodes; a quota leaves them the rest, as a machine of their own would.
   */
  cpuQuota?: number;
  /** mediasoup workers per node (1; 0 runs the nodes without media). */
  mediaWorkers: 0 | 1;
  /** Extra environment for every node. */
  env?: Record<string, string>;
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const cpuCgroupRoot = '/sys/fs/cgroup/cpu';

/** A cgroup v1 CPU group allowing `share` of one core; its processes' children stay in it. */
function cpuGroup(name: string, share: number): string {
  if (!(share > 0 && share <= 1)) throw new Error('cpuQuota: a share of one core, above 0 and at most 1');
  if (!fs.existsSync(path.join(cpuCgroupRoot, 'cpu.cfs_quota_us'))) throw new Error(`cpuQuota needs the cgroup v1 cpu controller at ${cpuCgroupRoot} (and root)`);
  const dir = path.join(cpuCgroupRoot, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'cpu.cfs_period_us'), '100000');
  fs.writeFileSync(path.join(dir, 'cpu.cfs_quota_us'), String(Math.round(share * 100_000)));
  return dir;
}

/** How many of a group's CPU periods so far it ran, and in how many it hit its quota (cpu.stat). */
export function cpuGroupUsage(dir: string): { throttledPeriods: number; periods: number } {
  const stat = Object.fromEntries(
    fs
      .readFileSync(path.join(dir, 'cpu.stat'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => line.split(' ') as [string, string]),
  );
  return { throttledPeriods: Number(stat.nr_throttled), periods: Number(stat.nr_periods) };
}

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
    // An empty cgroup directory is removed with rmdir (its files are not real files).
    for (const node of nodes) {
      if (!node.cpuGroup) continue;
      try {
        fs.rmdirSync(node.cpuGroup);
      } catch (error) {
        process.stderr.write(`could not remove the cgroup ${node.cpuGroup}: ${(error as Error).message}\n`);
      }
    }
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
      const group = options.cpuQuota === undefined ? undefined : cpuGroup(`haiqiao-bench-${namespace}-${id}`, options.cpuQuota);
      const pinned = core === null ? [process.execPath] : ['taskset', '-c', String(core), process.execPath];
      // The shell joins the group before it becomes the node, so the node and its worker start inside it.
      const command = group ? ['sh', '-c', `echo $$ > ${group}/cgroup.procs && exec "$@"`, 'node', ...pinned] : pinned;
      const child = spawn(command[0]!, [...command.slice(1), 'server/main.ts'], { cwd: repoRoot, env, stdio: ['ignore', out, out] });
      fs.closeSync(out);
      const node: ClusterNode = { id, url, pid: child.pid!, process: child, log, cpuGroup: group };
      nodes.push(node);
      await waitHealthy(node);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { nodes, stop };
}
