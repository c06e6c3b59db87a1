/**
 * coturn for browser tests, started through scripts/turn-server.sh (as the service's start
 * script does) on a free high port, with a fresh secret and data directory; stopped by pid.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface TurnServer {
  secret: string;
  port: number;
  listenIp: string;
  /** The TURN-over-TLS URL browsers get. */
  url: string;
  /** What coturn has written so far. */
  output(): string;
  stop(): Promise<void>;
}

/** A TCP port nobody listens on right now. */
export async function freePort(host: string): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, host, resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function accepting(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, host);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function startTurnServer(options: { listenIp: string; relayIp?: string; allowLoopbackPeers?: boolean; /** mediasoup's addresses: the only private ones relayed media may reach */ peerIps?: string[] }): Promise<TurnServer> {
  const secret = randomBytes(24).toString('base64url');
  const port = await freePort(options.listenIp);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'haiqiao-turn-'));
  let output = '';
  const child: ChildProcess = spawn('bash', [path.join(repo, 'scripts/turn-server.sh')], {
    env: {
      ...process.env,
      HAIQIAO_TURN_SECRET: secret,
      HAIQIAO_TURN_PORT: String(port),
      HAIQIAO_TURN_LISTEN_IP: options.listenIp,
      HAIQIAO_DATA_DIR: dataDir,
      ...(options.relayIp ? { HAIQIAO_TURN_RELAY_IP: options.relayIp } : {}),
      ...(options.allowLoopbackPeers ? { HAIQIAO_TURN_ALLOW_LOOPBACK_PEERS: '1' } : {}),
      HAIQIAO_TURN_PEER_IPS: (options.peerIps ?? []).join(','),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // The script execs turnserver, so this pid is coturn's; the exit hook covers a crashed test run.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const stop = async () => {
    process.off('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3_000))]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 20_000;
  while (!(await accepting(options.listenIp, port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`coturn did not start on ${options.listenIp}:${port}:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { secret, port, listenIp: options.listenIp, url: `turns:${options.listenIp}:${port}?transport=tcp`, output: () => output, stop };
}
