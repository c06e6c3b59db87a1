/**
 * A user-space UDP relay in front of mediasoup, so a browser test can cut one participant's
 * media path (DevTools offline emulation stops HTTP and WebSockets, not WebRTC). mediasoup
 * listens on 127.0.0.1 and announces 127.0.0.2; the relay binds the same ports on 127.0.0.2 and
 * forwards each browser socket through its own upstream socket. Blocking a browser's local
 * ports drops its packets both ways, as a dead link would; a lossy downlink drops a share of
 * the packets towards them.
 */
import dgram from 'node:dgram';

export const relayAddress = '127.0.0.2';

/**
 * The relay runs on the test process's event loop (with the server and playwright), which stalls
 * for up to ~0.5 s on a loaded machine: with the kernel's default 208 kB buffer its sockets
 * dropped 9–34 datagrams a run in the weak-link browser test (/proc/net/udp), which the SFU then
 * asked a clean-link browser to resend, read by that person's controller as uplink loss. 4 MiB
 * (capped by net.core.rmem_max) holds seconds of a room's media: a stall delays, it does not drop.
 */
const socketOptions: dgram.SocketOptions = { type: 'udp4', recvBufferSize: 4 * 1024 * 1024, sendBufferSize: 4 * 1024 * 1024 };

interface Flow {
  upstream: dgram.Socket;
  clientPort: number;
  clientAddress: string;
}

export class MediaRelay {
  readonly #sockets: dgram.Socket[] = [];
  readonly #flows = new Map<string, Flow>();
  readonly #blocked = new Set<number>();
  /** Per browser-side port: the share of packets towards it that are dropped (a lossy downlink). */
  readonly #lossTo = new Map<number, number>();
  /** Datagrams dropped while blocked (a test can check the cut was real). */
  dropped = 0;

  private readonly targetAddress: string;

  private constructor(targetAddress: string) {
    this.targetAddress = targetAddress;
  }

  /** Relays `relayAddress:port` → `targetAddress:port` for each UDP port. */
  static async start(ports: number[], targetAddress = '127.0.0.1'): Promise<MediaRelay> {
    const relay = new MediaRelay(targetAddress);
    try {
      for (const port of ports) await relay.#listen(port);
    } catch (error) {
      relay.close();
      throw error;
    }
    return relay;
  }

  async #listen(port: number): Promise<void> {
    const socket = dgram.createSocket(socketOptions);
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, relayAddress, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    this.#sockets.push(socket);
    socket.on('message', (message, from) => {
      if (this.#blocked.has(from.port)) {
        this.dropped += 1;
        return;
      }
      this.#flowFor(socket, port, from).upstream.send(message, port, this.targetAddress);
    });
  }

  #flowFor(listening: dgram.Socket, port: number, from: dgram.RemoteInfo): Flow {
    const key = `${port}|${from.address}:${from.port}`;
    let flow = this.#flows.get(key);
    if (flow) return flow;
    const upstream = dgram.createSocket(socketOptions);
    upstream.bind(0, this.targetAddress);
    flow = { upstream, clientPort: from.port, clientAddress: from.address };
    const current = flow;
    upstream.on('message', (message) => {
      if (this.#blocked.has(current.clientPort) || Math.random() < (this.#lossTo.get(current.clientPort) ?? 0)) {
        this.dropped += 1;
        return;
      }
      listening.send(message, current.clientPort, current.clientAddress);
    });
    upstream.on('error', () => undefined);
    this.#flows.set(key, flow);
    return flow;
  }

  /** Drops everything from and to these browser-side ports until restore(). */
  cut(clientPorts: number[]): void {
    for (const port of clientPorts) this.#blocked.add(port);
  }

  /** Drops this share (0–1) of the packets towards these browser-side ports until restore(). */
  lossy(clientPorts: number[], share: number): void {
    for (const port of clientPorts) this.#lossTo.set(port, share);
  }

  restore(): void {
    this.#blocked.clear();
    this.#lossTo.clear();
  }

  close(): void {
    for (const socket of this.#sockets) socket.close();
    for (const flow of this.#flows.values()) flow.upstream.close();
    this.#sockets.length = 0;
    this.#flows.clear();
  }
}
