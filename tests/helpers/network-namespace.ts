/**
 * A browser on its own network: a Linux network namespace joined to this host by a veth pair,
 * with the link impaired by the kernel (this kernel has no netem):
 *   - rate: a `tbf` qdisc on each end of the pair (host end = downlink, namespace end = uplink);
 *   - loss and blocking: an nftables table inside the namespace (`numgen random` for loss);
 *   - delay: not here, see delay-relay.ts (a user-space relay on the host end).
 * Only addresses inside namespaces this module creates are touched. Everything it creates is
 * removed by destroy(), on process exit and on SIGINT/SIGTERM, and namespaces left by a
 * process that died hard (SIGKILL) are swept by the next create(). Needs root.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromiumPath } from './browser.ts';

/** Every namespace this module makes is named `${prefix}${pid}-${n}`. */
const prefix = 'hq';
/** Addresses come from 10.231.0.0/16, one /24 per namespace, picked among the unused ones. */
const addressBlock = '10.231';
const nftTable = 'haiqiao_link';

function run(command: string, args: string[], input?: string): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], ...(input !== undefined ? { input } : {}) });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`${command} ${args.join(' ')} failed: ${stderr.trim() || String(error)}`);
  }
}

function quiet(command: string, args: string[]): void {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
  } catch {
    // already gone
  }
}

const alive = new Set<NetworkNamespace>();
let hooked = false;

function hookCleanup(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const ns of alive) ns.destroy();
  });
  // A listener stays on each signal: a second signal (a wrapper such as tsx forwards one too)
  // must not kill the process halfway through the cleanup.
  let exiting = false;
  const codes = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
  for (const signal of Object.keys(codes) as (keyof typeof codes)[]) {
    process.on(signal, () => {
      if (exiting) return;
      exiting = true;
      for (const ns of alive) ns.destroy();
      process.exit(codes[signal]);
    });
  }
}

/** Removes namespaces (and their veth pairs) left by processes of ours that no longer run. */
export function sweepStaleNamespaces(): void {
  let names: string[] = [];
  try {
    names = run('ip', ['netns', 'list']).split('\n').map((l) => l.split(' ')[0]!).filter(Boolean);
  } catch {
    return;
  }
  for (const name of names) {
    const match = new RegExp(`^${prefix}(\\d+)-(\\d+)$`).exec(name);
    if (!match) continue;
    const pid = Number(match[1]);
    if (pid === process.pid || processRuns(pid)) continue;
    quiet('nft', ['delete', 'table', 'netdev', uplinkTableOf(name)]);
    quiet('ip', ['link', 'del', `${name}h`]);
    quiet('ip', ['netns', 'del', name]);
  }
}

/** The host-side table of a namespace's uplink loss (nft names take no hyphen). */
const uplinkTableOf = (namespace: string) => `${namespace.replaceAll('-', '_')}_up`;

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function usedSubnets(): Set<number> {
  const used = new Set<number>();
  const text = run('ip', ['-4', '-o', 'addr', 'show']);
  for (const m of text.matchAll(new RegExp(`inet ${addressBlock.replace('.', '\\.')}\\.(\\d+)\\.`, 'g'))) used.add(Number(m[1]));
  return used;
}

export interface LinkConditions {
  /** Rate towards the namespace (host → browser), kbit/s; unset: unlimited. */
  downKbit?: number;
  /** Rate from the namespace (browser → host), kbit/s; unset: unlimited. */
  upKbit?: number;
  /** Share of packets dropped in each direction, percent (0–100). */
  lossPct?: number;
}

let counter = 0;

export class NetworkNamespace {
  /** Address of the host end: what the browser inside reaches the host on. */
  readonly hostAddress: string;
  #address: string;
  #hostSuffix = 2;
  #destroyed = false;
  #wrapper: string | null = null;

  readonly name: string;
  private readonly subnet: number;

  private constructor(
    name: string,
    subnet: number,
  ) {
    this.name = name;
    this.subnet = subnet;
    this.hostAddress = `${addressBlock}.${subnet}.1`;
    this.#address = `${addressBlock}.${subnet}.2`;
  }

  /** The browser's current address inside the namespace. */
  get address(): string {
    return this.#address;
  }

  get hostInterface(): string {
    return `${this.name}h`;
  }

  get innerInterface(): string {
    return `${this.name}n`;
  }

  static create(): NetworkNamespace {
    hookCleanup();
    sweepStaleNamespaces();
    const used = usedSubnets();
    const free = Array.from({ length: 200 }, (_, i) => 40 + ((process.pid + counter * 7 + i) % 200)).find((n) => !used.has(n));
    if (free === undefined) throw new Error(`no free /24 left in ${addressBlock}.0.0/16`);
    const ns = new NetworkNamespace(`${prefix}${process.pid}-${counter++}`, free);
    alive.add(ns);
    try {
      ns.#build();
    } catch (error) {
      ns.destroy();
      throw error;
    }
    return ns;
  }

  #build(): void {
    const { name, hostInterface: h, innerInterface: n } = this;
    run('ip', ['netns', 'add', name]);
    run('ip', ['link', 'add', h, 'type', 'veth', 'peer', 'name', n]);
    run('ip', ['link', 'set', n, 'netns', name]);
    run('ip', ['addr', 'add', `${this.hostAddress}/24`, 'dev', h]);
    run('ip', ['link', 'set', h, 'up']);
    run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    run('ip', ['-n', name, 'addr', 'add', `${this.#address}/24`, 'dev', n]);
    run('ip', ['-n', name, 'link', 'set', n, 'up']);
    run('ip', ['-n', name, 'route', 'add', 'default', 'via', this.hostAddress]);
  }

  /** Runs a command inside the namespace. */
  exec(command: string, args: string[], input?: string): string {
    return run('ip', ['netns', 'exec', this.name, command, ...args], input);
  }

  /** Sets rate and loss (replacing what was set before); an empty object clears them. */
  impair(conditions: LinkConditions): void {
    this.#rate(this.hostInterface, conditions.downKbit, false);
    this.#rate(this.innerInterface, conditions.upKbit, true);
    const loss = conditions.lossPct ?? 0;
    if (loss < 0 || loss > 100) throw new RangeError(`lossPct must be 0–100, got ${loss}`);
    // Towards the browser: dropped as packets come in. From the browser: dropped as they reach the
    // host end, not on their way out. A drop in the namespace's output hook fails the browser's own
    // send() with EPERM, which a lossy radio link never does, and Chromium made up for most of it
    // (the SFU saw 1–3 % of the party's audio lost at a 10 % setting, and at times no video loss).
    this.#rules(loss > 0 ? [`numgen random mod 100 < ${Math.round(loss)} drop`] : [], []);
    this.#uplinkLoss(Math.round(loss));
  }

  /** Random loss on packets from the namespace, in a netdev ingress hook on the host end of the pair. */
  #uplinkLoss(lossPct: number): void {
    const table = this.#uplinkTable;
    const chain = lossPct > 0 ? [`table netdev ${table} {`, '  chain ingress {', `    type filter hook ingress device "${this.hostInterface}" priority 0; policy accept;`, `    numgen random mod 100 < ${lossPct} counter drop`, '  }', '}'] : [];
    run('nft', ['-f', '-'], [`table netdev ${table}`, `delete table netdev ${table}`, ...chain, ''].join('\n'));
  }

  get #uplinkTable(): string {
    return uplinkTableOf(this.name);
  }

  /** No network at all (a boat out of coverage) until impair({}) or unblock(). */
  blockAll(): void {
    this.#rules(['drop'], ['drop']);
  }

  /**
   * Only TCP to these host ports goes out (and its answers come in); all UDP and every other
   * port are dropped, as on a network that allows web traffic only.
   */
  allowOnlyTcp(hostPorts: number[]): void {
    const ports = hostPorts.join(', ');
    this.#rules([`tcp sport { ${ports} } accept`, 'drop'], [`tcp dport { ${ports} } accept`, 'drop']);
  }

  /** Clears every rule, the random loss of both directions included (the rates stay). */
  unblock(): void {
    this.#rules([], []);
    this.#uplinkLoss(0);
  }

  /** Packets the namespace's rules have dropped so far (a test can check a block was real). */
  droppedPackets(): number {
    let text = '';
    try {
      text = this.exec('nft', ['list', 'table', 'inet', nftTable]);
    } catch {
      // no rules set inside
    }
    try {
      text += run('nft', ['list', 'table', 'netdev', this.#uplinkTable]);
    } catch {
      // no uplink loss set
    }
    let total = 0;
    for (const m of text.matchAll(/counter packets (\d+) bytes \d+ drop/g)) total += Number(m[1]);
    return total;
  }

  /**
   * The browser's address changes (as from Wi-Fi to 4G): the old address is removed and a new
   * one added; sockets bound to the old one stop working.
   */
  changeAddress(): { from: string; to: string } {
    const from = this.#address;
    this.#hostSuffix += 1;
    const to = `${addressBlock}.${this.subnet}.${this.#hostSuffix}`;
    // Old one out first (as a phone leaving Wi-Fi), then the new one and the route it took along.
    this.exec('ip', ['addr', 'del', `${from}/24`, 'dev', this.innerInterface]);
    this.exec('ip', ['addr', 'add', `${to}/24`, 'dev', this.innerInterface]);
    this.exec('ip', ['route', 'replace', 'default', 'via', this.hostAddress]);
    this.#address = to;
    return { from, to };
  }

  /** Input rules, output rules; loopback always passes. Replaces the table atomically. */
  #rules(input: string[], output: string[]): void {
    const counted = (rule: string) => rule.replace(/ drop$/, ' counter drop').replace(/^drop$/, 'counter drop');
    const script = [
      `table inet ${nftTable}`,
      `delete table inet ${nftTable}`,
      `table inet ${nftTable} {`,
      '  chain input {',
      '    type filter hook input priority 0; policy accept;',
      '    iifname "lo" accept',
      ...input.map((r) => `    ${counted(r)}`),
      '  }',
      '  chain output {',
      '    type filter hook output priority 0; policy accept;',
      '    oifname "lo" accept',
      ...output.map((r) => `    ${counted(r)}`),
      '  }',
      '}',
      '',
    ].join('\n');
    this.exec('nft', ['-f', '-'], script);
  }

  #rate(device: string, kbit: number | undefined, inside: boolean): void {
    const ip = inside ? ['netns', 'exec', this.name, 'tc'] : [];
    const tc = (args: string[]) => (inside ? run('ip', [...ip, ...args]) : run('tc', args));
    if (!kbit) {
      try {
        tc(['qdisc', 'del', 'dev', device, 'root']);
      } catch {
        // no qdisc of ours
      }
      return;
    }
    // Burst: at least one full packet plus some; queue: up to 300 ms, as a cellular modem buffers.
    const burstBytes = Math.max(3_000, Math.round((kbit * 1000) / 8 / 50));
    tc(['qdisc', 'replace', 'dev', device, 'root', 'tbf', 'rate', `${kbit}kbit`, 'burst', String(burstBytes), 'latency', '300ms']);
  }

  /**
   * An executable that runs Debian's Chromium inside this namespace (playwright-core's
   * `executablePath`): `ip netns exec` keeps the pipe playwright drives the browser through.
   */
  chromiumWrapper(): string {
    if (this.#wrapper) return this.#wrapper;
    const file = path.join(os.tmpdir(), `${this.name}-chromium.sh`);
    fs.writeFileSync(file, `#!/bin/sh\nexec ip netns exec ${this.name} ${chromiumPath} "$@"\n`, { mode: 0o755 });
    this.#wrapper = file;
    return file;
  }

  /** Kills whatever still runs inside, removes the veth pair, the namespace and the wrapper. Idempotent. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    alive.delete(this);
    let pids: string[] = [];
    try {
      pids = run('ip', ['netns', 'pids', this.name]).split('\n').filter(Boolean);
    } catch {
      // no such namespace
    }
    for (const pid of pids) quiet('kill', ['-9', pid]);
    quiet('nft', ['delete', 'table', 'netdev', this.#uplinkTable]);
    quiet('ip', ['link', 'del', this.hostInterface]);
    quiet('ip', ['netns', 'del', this.name]);
    if (this.#wrapper) fs.rmSync(this.#wrapper, { force: true });
  }
}
