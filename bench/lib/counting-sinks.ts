// Receiving ends that cost (almost) nothing to run, so that the load generator does not need a
// second core to drive one mediasoup worker to saturation: UDP sockets held open by a small
// python3 process that never reads them, each with the smallest receive buffer the kernel allows.
// Every datagram the SFU sends to one is delivered by the kernel to the socket, found full, and
// dropped; the kernel counts those drops per socket (/proc/net/udp, last column), which is the
// count of datagrams that reached it. No user-space wake-ups happen on the receiving side.
//
// A Node receiver costs about a microsecond per datagram in JavaScript plus a wake-up; 400 000
// datagrams a second would need most of a core (see lib/sink-process.ts for the inspecting sinks).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';

const script = String.raw`
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1)  # the kernel's minimum: one or two datagrams
    s.bind(("127.0.0.1", 0))
    socks.append(s)
sys.stdout.write(" ".join(str(s.getsockname()[1]) for s in socks) + "\n")
sys.stdout.flush()
sys.stdin.read()  # until the parent closes the pipe (or dies)
`;

export class CountingSinks {
  readonly ports: number[];
  readonly pid: number;
  readonly child: ChildProcess;

  private constructor(
    ports: number[],
    pid: number,
    child: ChildProcess,
  ) {
    this.ports = ports;
    this.pid = pid;
    this.child = child;
  }

  /** Opens `count` counting sockets (none for 0: no process is started). */
  static async open(count: number): Promise<CountingSinks> {
    if (count === 0) return new CountingSinks([], 0, undefined as unknown as ChildProcess);
    const child = spawn('python3', ['-c', script, String(count)], { stdio: ['pipe', 'pipe', 'inherit'] });
    const ports = await new Promise<number[]>((resolve, reject) => {
      let out = '';
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`python3 exited (${code}) before opening its sockets`)));
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('\n')) resolve(out.trim().split(' ').map(Number));
      });
    });
    child.removeAllListeners('exit');
    if (ports.length !== count || ports.some((p) => !Number.isInteger(p) || p <= 0)) throw new Error(`python3 opened ${ports.length} of ${count} sockets`);
    return new CountingSinks(ports, child.pid!, child);
  }

  async close(): Promise<void> {
    if (!this.child || this.child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(timer);
  }
}

export interface UdpSocketStats {
  /** Datagrams dropped at this socket (receive buffer full): for a counting sink, what reached it. */
  drops: number;
  rxQueueBytes: number;
}

/** Every IPv4 UDP socket of this network namespace by local port, from /proc/net/udp. */
export function udpTable(): Map<number, UdpSocketStats> {
  const table = new Map<number, UdpSocketStats>();
  for (const line of fs.readFileSync('/proc/net/udp', 'utf8').split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 13) continue;
    const port = parseInt(fields[1]!.split(':')[1]!, 16);
    const rxQueueBytes = parseInt(fields[4]!.split(':')[1]!, 16);
    const stats = table.get(port) ?? { drops: 0, rxQueueBytes: 0 };
    stats.drops += Number(fields.at(-1));
    stats.rxQueueBytes += rxQueueBytes;
    table.set(port, stats);
  }
  return table;
}

/** Sum of drops over these ports. */
export function dropsOn(table: Map<number, UdpSocketStats>, ports: Iterable<number>): number {
  let drops = 0;
  for (const port of ports) drops += table.get(port)?.drops ?? 0;
  return drops;
}
