import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { types } from 'mediasoup';
import { WorkerPool } from '../../../server/media/worker-pool.ts';

const mediaCodecs: types.RouterRtpCodecCapability[] = [
  { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 },
  { kind: 'video', mimeType: 'video/VP8', clockRate: 90000 },
];

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('WorkerPool', () => {
  const died: number[] = [];
  let pool: WorkerPool;

  beforeAll(async () => {
    pool = await WorkerPool.start({
      size: 2,
      rtcMinPort: 41000,
      rtcMaxPort: 41999,
      logLevel: 'error',
      logger: { warn: () => {}, error: () => {} },
      onWorkerDied: (pid) => died.push(pid),
    });
  });

  afterAll(() => pool?.close());

  it('starts real workers and reports them alive', async () => {
    const mediasoup = await import('mediasoup');
    expect(pool.status()).toEqual({ workers: 2, alive: 2, version: mediasoup.version });
    expect(pool.workers).toHaveLength(2);
    for (const worker of pool.workers) {
      expect(worker.closed).toBe(false);
      expect(worker.pid).toBeGreaterThan(0);
    }
  });

  it('creates a router with opus and VP8 on the least loaded worker, and a WebRtcTransport on 127.0.0.1', async () => {
    const first = pool.leastLoaded();
    const router = await first.createRouter({ mediaCodecs });
    const mimeTypes = router.rtpCapabilities.codecs?.map((c) => c.mimeType) ?? [];
    expect(mimeTypes).toEqual(expect.arrayContaining(['audio/opus', 'video/VP8']));

    // The worker now holding a router is no longer the least loaded one.
    const second = pool.leastLoaded();
    expect(second).not.toBe(first);
    const router2 = await second.createRouter({ mediaCodecs });
    router2.close();
    expect(pool.leastLoaded()).toBe(second);

    const transport = await router.createWebRtcTransport({ listenInfos: [{ protocol: 'udp', ip: '127.0.0.1' }] });
    expect(transport.iceCandidates.length).toBeGreaterThan(0);
    for (const candidate of transport.iceCandidates) {
      expect(candidate.address).toBe('127.0.0.1');
      expect(candidate.protocol).toBe('udp');
      expect(candidate.port).toBeGreaterThanOrEqual(41000);
      expect(candidate.port).toBeLessThanOrEqual(41999);
    }
    expect(transport.dtlsParameters.fingerprints.length).toBeGreaterThan(0);

    router.close();
    expect(transport.closed).toBe(true);
  });

  it('replaces a worker that is killed and reports the dead pid', async () => {
    const victim = pool.leastLoaded();
    const pid = victim.pid;
    process.kill(pid, 'SIGKILL');

    await until(() => died.includes(pid));
    expect(victim.died).toBe(true);
    await until(() => pool.status().alive === 2);
    const pids = pool.workers.map((w) => w.pid);
    expect(pids).not.toContain(pid);
    expect(new Set(pids).size).toBe(2);

    // The replacement works.
    const router = await pool.leastLoaded().createRouter({ mediaCodecs });
    expect(router.closed).toBe(false);
    router.close();
  });

  it('nextWorker() never picks a dying worker and waits for a replacement when none is left', async () => {
    const single = await WorkerPool.start({ size: 1, logLevel: 'error', logger: { warn: () => {}, error: () => {} } });
    try {
      const victim = single.workers[0]!;
      // Inside the death (routers close before 'died' reaches the pool) the dying worker is skipped.
      let pickedDuringDeath: Promise<types.Worker> | undefined;
      const router = await victim.createRouter({ mediaCodecs });
      router.observer.once('close', () => (pickedDuringDeath = single.nextWorker(10_000)));
      process.kill(victim.pid, 'SIGKILL');
      await until(() => pickedDuringDeath !== undefined);
      const replacement = await pickedDuringDeath!;
      expect(replacement).not.toBe(victim);
      expect(replacement.died).toBe(false);
      expect((await replacement.createRouter({ mediaCodecs })).closed).toBe(false);
    } finally {
      single.close();
    }
    // A closed pool answers at once, without waiting.
    await expect(single.nextWorker(10_000)).rejects.toThrow(/no mediasoup worker/);
  });

  it('close() closes every worker and stops replacing them', async () => {
    const workers = [...pool.workers];
    pool.close();
    expect(workers.every((w) => w.closed)).toBe(true);
    expect(pool.status().alive).toBe(0);
    expect(() => pool.leastLoaded()).toThrow(/no mediasoup worker/);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(pool.status().alive).toBe(0);
  });
});

describe('WorkerPool with a WebRtcServer on port 0', () => {
  it('lets each worker pick free UDP and TCP ports, so pools started side by side do not collide', async () => {
    const options = { size: 1, logLevel: 'error' as const, logger: { warn: () => {}, error: () => {} }, webRtcServer: { listenIp: '127.0.0.1', firstPort: 0 } };
    const [a, b] = await Promise.all([WorkerPool.start(options), WorkerPool.start(options)]);
    try {
      const ports = [];
      for (const pool of [a, b]) {
        const dump = await pool.webRtcServerOf(pool.workers[0]!)!.dump();
        expect(dump.udpSockets).toHaveLength(1);
        expect(dump.tcpServers).toHaveLength(1);
        ports.push(dump.udpSockets[0]!.port, dump.tcpServers[0]!.port);
      }
      for (const port of ports) expect(port).toBeGreaterThan(0);
      // [udp a, tcp a, udp b, tcp b]: the two pools listen on different ports.
      expect(ports[0]).not.toBe(ports[2]);
      expect(ports[1]).not.toBe(ports[3]);
    } finally {
      a.close();
      b.close();
    }
  });
});
