// The receiving ends of the SFU benchmark, in their own process: receiving 100 000+ datagrams
// a second makes Node allocate a buffer per datagram and collect garbage often, and those
// pauses must not hold up the senders' clock. The parent asks for snapshots over IPC.
import { fork, type ChildProcess } from 'node:child_process';
import { Sink, type StreamCount } from './rtp-source.ts';

export interface SinkSnapshot {
  /** performance.now() in the sink process. */
  at: number;
  packets: number;
  bytes: number;
  otherRtp: number;
  /** RTCP datagrams (sender reports of the consumers). */
  rtcp: number;
  /** Per sink: [ssrc, received, highestSeq] for each stream. */
  streams: [number, number, number][][];
}

type RequestBody = { type: 'open'; count: number } | { type: 'snapshot' } | { type: 'close' };
type Request = RequestBody & { id: number };
type Response = { id: number; ports?: number[]; snapshot?: SinkSnapshot; error?: string };

/** The parent's handle on the sink process. */
export class SinkProcess {
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, { resolve: (r: Response) => void; reject: (e: Error) => void }>();
  #nextId = 1;

  private constructor(child: ChildProcess) {
    this.#child = child;
    child.on('message', (response: Response) => {
      const pending = this.#pending.get(response.id);
      this.#pending.delete(response.id);
      if (response.error) pending?.reject(new Error(response.error));
      else pending?.resolve(response);
    });
    child.on('exit', (code) => {
      for (const { reject } of this.#pending.values()) reject(new Error(`sink process exited (${code})`));
      this.#pending.clear();
    });
  }

  static start(): SinkProcess {
    return new SinkProcess(fork(new URL('./sink-process.ts', import.meta.url), ['--child'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  }

  get pid(): number {
    return this.#child.pid!;
  }

  #request(request: RequestBody, timeoutMs = 30_000): Promise<Response> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`sink process did not answer ${request.type}`));
      }, timeoutMs);
      this.#pending.set(id, {
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.#child.send({ ...request, id });
    });
  }

  /** Opens `count` sinks (closing any open ones) and returns their UDP ports. */
  async open(count: number): Promise<number[]> {
    return (await this.#request({ type: 'open', count })).ports!;
  }

  async snapshot(): Promise<SinkSnapshot> {
    return (await this.#request({ type: 'snapshot' })).snapshot!;
  }

  async close(): Promise<void> {
    await this.#request({ type: 'close' });
  }

  stop() {
    if (this.#child.exitCode === null) this.#child.disconnect();
  }
}

// ---- the child ----------------------------------------------------------------------------------
if (process.argv.includes('--child') && process.send) {
  let sinks: Sink[] = [];
  const answer = (response: Response) => process.send!(response);
  process.on('message', (request: Request) => {
    void (async () => {
      try {
        if (request.type === 'open') {
          for (const sink of sinks) sink.close();
          sinks = await Promise.all(Array.from({ length: request.count }, () => Sink.open()));
          answer({ id: request.id, ports: sinks.map((s) => s.port) });
        } else if (request.type === 'snapshot') {
          const streams = sinks.map((sink) => [...sink.streams].map(([ssrc, s]: [number, StreamCount]) => [ssrc, s.received, s.highestSeq] as [number, number, number]));
          answer({
            id: request.id,
            snapshot: {
              at: performance.now(),
              packets: sinks.reduce((n, s) => n + s.packets, 0),
              bytes: sinks.reduce((n, s) => n + s.bytes, 0),
              otherRtp: sinks.reduce((n, s) => n + s.otherRtp, 0),
              rtcp: sinks.reduce((n, s) => n + s.rtcp, 0),
              streams,
            },
          });
        } else {
          for (const sink of sinks) sink.close();
          sinks = [];
          answer({ id: request.id });
        }
      } catch (error) {
        answer({ id: request.id, error: error instanceof Error ? error.message : String(error) });
      }
    })();
  });
  process.on('disconnect', () => {
    for (const sink of sinks) sink.close();
    process.exit(0);
  });
}
