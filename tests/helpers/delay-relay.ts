/**
 * Delay for a link whose kernel has no netem: a user-space relay that listens on an address
 * the browser reaches (a namespace's host end) and forwards UDP datagrams and TCP streams to
 * the same ports on the target, holding each packet or chunk for the one-way delay chosen for
 * the client's address (so a clean client through the same relay gets none). Order is kept:
 * nothing leaves before what came in ahead of it, also when the delay changes.
 */
import dgram from 'node:dgram';
import net from 'node:net';

export interface DelayRelayOptions {
  /** Address to listen on (ports are the same as the target's). */
  listenAddress: string;
  targetAddress: string;
  udpPorts: number[];
  tcpPorts: number[];
}

/** Delivers each item `delayMs` after it arrived, never before the one ahead of it. */
class DelayLine {
  #last = 0;
  private readonly delayOf: () => number;

  constructor(delayOf: () => number) {
    this.delayOf = delayOf;
  }

  push(deliver: () => void): void {
    const delay = this.delayOf();
    const due = Math.max(Date.now() + delay, this.#last);
    this.#last = due;
    const wait = due - Date.now();
    if (wait <= 0) deliver();
    else setTimeout(deliver, wait);
  }
}

export class DelayRelay {
  readonly #udp: dgram.Socket[] = [];
  readonly #upstreams = new Set<dgram.Socket>();
  readonly #servers: net.Server[] = [];
  readonly #connections = new Set<net.Socket>();
  /** One-way delay in ms for packets from and to this client address. */
  #oneWay: (clientAddress: string) => number = () => 0;

  private readonly options: DelayRelayOptions;

  private constructor(options: DelayRelayOptions) {
    this.options = options;
  }

  static async start(options: DelayRelayOptions): Promise<DelayRelay> {
    const relay = new DelayRelay(options);
    try {
      for (const port of options.udpPorts) await relay.#listenUdp(port);
      for (const port of options.tcpPorts) await relay.#listenTcp(port);
    } catch (error) {
      relay.close();
      throw error;
    }
    return relay;
  }

  /** Sets the one-way delay per client address (the round trip grows by twice this). */
  setDelay(oneWay: (clientAddress: string) => number): void {
    this.#oneWay = oneWay;
  }

  async #listenUdp(port: number): Promise<void> {
    const { listenAddress, targetAddress } = this.options;
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, listenAddress, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    socket.on('error', () => undefined);
    this.#udp.push(socket);
    const flows = new Map<string, { upstream: dgram.Socket; towardsTarget: DelayLine }>();
    socket.on('message', (message, from) => {
      const key = `${from.address}:${from.port}`;
      let flow = flows.get(key);
      if (!flow) {
        const upstream = dgram.createSocket('udp4');
        upstream.on('error', () => undefined);
        upstream.bind(0, targetAddress === '127.0.0.1' ? '127.0.0.1' : undefined);
        this.#upstreams.add(upstream);
        const towardsClient = new DelayLine(() => this.#oneWay(from.address));
        upstream.on('message', (reply) => towardsClient.push(() => socket.send(reply, from.port, from.address)));
        flow = { upstream, towardsTarget: new DelayLine(() => this.#oneWay(from.address)) };
        flows.set(key, flow);
      }
      const { upstream } = flow;
      flow.towardsTarget.push(() => upstream.send(message, port, targetAddress));
    });
  }

  async #listenTcp(port: number): Promise<void> {
    const { listenAddress, targetAddress } = this.options;
    const server = net.createServer((client) => {
      const clientAddress = client.remoteAddress?.replace(/^::ffff:/, '') ?? '';
      const upstream = net.connect(port, targetAddress);
      for (const s of [client, upstream]) {
        s.setNoDelay(true);
        this.#connections.add(s);
        s.on('close', () => this.#connections.delete(s));
        s.on('error', () => undefined);
      }
      const towardsTarget = new DelayLine(() => this.#oneWay(clientAddress));
      const towardsClient = new DelayLine(() => this.#oneWay(clientAddress));
      client.on('data', (chunk) => towardsTarget.push(() => upstream.writable && upstream.write(chunk)));
      upstream.on('data', (chunk) => towardsClient.push(() => client.writable && client.write(chunk)));
      client.on('end', () => towardsTarget.push(() => upstream.end()));
      upstream.on('end', () => towardsClient.push(() => client.end()));
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, listenAddress, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.#servers.push(server);
  }

  close(): void {
    for (const s of this.#udp) s.close();
    for (const s of this.#upstreams) s.close();
    for (const c of this.#connections) c.destroy();
    for (const s of this.#servers) s.close();
    this.#udp.length = 0;
    this.#upstreams.clear();
    this.#connections.clear();
    this.#servers.length = 0;
  }
}
