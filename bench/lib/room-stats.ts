/**
 * What one page of the live room receives and sends, read from WebRTC getStats through
 * window.__haiqiaoRoom (read only), and the per-window figures the weak-link bench reports.
 */
import type { Page } from 'playwright-core';

export interface InboundSnapshot {
  consumerId: string;
  peerId: string;
  kind: 'audio' | 'video';
  source: string;
  concealedSamples: number;
  totalSamplesReceived: number;
  jitterBufferDelay: number;
  jitterBufferEmittedCount: number;
  bytesReceived: number;
  freezeCount: number;
  framesDecoded: number;
  frameHeight: number;
  /** Audio: RTP packets received and lost, and how many of those received carried Opus in-band FEC (fecPacketsReceived). */
  packetsReceived: number;
  packetsLost: number;
  fecPacketsReceived: number;
  /** Audio, to tell what concealment is made of: concealed samples that were silence anyway, concealment events, packets the jitter buffer threw away as too late (or early), and FEC packets it had no use for. */
  silentConcealedSamples: number;
  concealmentEvents: number;
  packetsDiscarded: number;
  fecPacketsDiscarded: number;
  /** Audio: the jitter buffer's target delay summed over emitted samples (jitterBufferTargetDelay). */
  jitterBufferTargetDelay: number;
}

export interface PageSnapshot {
  /** Node's clock when the snapshot was taken (ms). */
  at: number;
  phase: string | null;
  connection: string | null;
  peerId: string | null;
  audioOnly: boolean;
  inbound: InboundSnapshot[];
  /** Transport-level bytes (all RTP/RTCP/ICE) of the send and receive transports. */
  sentBytes: number;
  receivedBytes: number;
  /** Selected candidate pair's current round trip (ms), send transport first; null if none yet. */
  rttMs: number | null;
  availableOutgoingKbps: number | null;
}

export async function snapshot(page: Page): Promise<PageSnapshot> {
  const taken = await page.evaluate(async () => {
    const room = (window as any).__haiqiaoRoom;
    if (!room) return null;
    const inbound = [];
    for (const c of room.consumers) {
      let s: any = {};
      try {
        (await c.getStats()).forEach((r: any) => {
          if (r.type === 'inbound-rtp') s = r;
        });
      } catch {
        // closed meanwhile
      }
      inbound.push({
        consumerId: c.id,
        peerId: c.peerId,
        kind: c.kind,
        source: c.source,
        concealedSamples: s.concealedSamples ?? 0,
        totalSamplesReceived: s.totalSamplesReceived ?? 0,
        jitterBufferDelay: s.jitterBufferDelay ?? 0,
        jitterBufferEmittedCount: s.jitterBufferEmittedCount ?? 0,
        bytesReceived: s.bytesReceived ?? 0,
        freezeCount: s.freezeCount ?? 0,
        framesDecoded: s.framesDecoded ?? 0,
        frameHeight: s.frameHeight ?? 0,
        packetsReceived: s.packetsReceived ?? 0,
        packetsLost: s.packetsLost ?? 0,
        fecPacketsReceived: s.fecPacketsReceived ?? 0,
        silentConcealedSamples: s.silentConcealedSamples ?? 0,
        concealmentEvents: s.concealmentEvents ?? 0,
        packetsDiscarded: s.packetsDiscarded ?? 0,
        fecPacketsDiscarded: s.fecPacketsDiscarded ?? 0,
        jitterBufferTargetDelay: s.jitterBufferTargetDelay ?? 0,
      });
    }
    let sentBytes = 0;
    let receivedBytes = 0;
    let rttMs: number | null = null;
    let availableOutgoingKbps: number | null = null;
    for (const [which, transport] of [['send', room.sendTransport], ['recv', room.recvTransport]] as const) {
      if (!transport || transport.closed) continue;
      let report: Map<string, any>;
      try {
        report = await transport.getStats();
      } catch {
        continue;
      }
      report.forEach((r: any) => {
        if (r.type !== 'transport') return;
        if (which === 'send') sentBytes += r.bytesSent ?? 0;
        else receivedBytes += r.bytesReceived ?? 0;
        const pair = r.selectedCandidatePairId ? report.get(r.selectedCandidatePairId) : undefined;
        if (pair && rttMs === null && typeof pair.currentRoundTripTime === 'number') rttMs = pair.currentRoundTripTime * 1000;
        if (pair && which === 'send' && typeof pair.availableOutgoingBitrate === 'number') availableOutgoingKbps = pair.availableOutgoingBitrate / 1000;
      });
    }
    return { phase: room.phase ?? null, connection: room.connection ?? null, peerId: room.peerId ?? null, audioOnly: !!room.audioOnly, inbound, sentBytes, receivedBytes, rttMs, availableOutgoingKbps };
  });
  const at = Date.now();
  if (!taken) return { at, phase: null, connection: null, peerId: null, audioOnly: false, inbound: [], sentBytes: 0, receivedBytes: 0, rttMs: null, availableOutgoingKbps: null };
  return { at, ...taken };
}

/** The consumer of `kind` (camera or microphone, not screen) from `peerId`, if any. */
export function from(s: PageSnapshot, peerId: string, kind: 'audio' | 'video'): InboundSnapshot | undefined {
  return s.inbound.find((c) => c.peerId === peerId && c.kind === kind && c.source !== 'screen');
}

/** Sum over consecutive samples of the growth of `of`, for the same consumer only (a new consumer restarts its counters). */
function grown(samples: PageSnapshot[], peerId: string, kind: 'audio' | 'video', of: (c: InboundSnapshot) => number): number {
  let total = 0;
  for (let i = 1; i < samples.length; i += 1) {
    const a = from(samples[i - 1]!, peerId, kind);
    const b = from(samples[i]!, peerId, kind);
    if (a && b && a.consumerId === b.consumerId) total += Math.max(0, of(b) - of(a));
  }
  return total;
}

export interface DirectionFigures {
  /** Concealed samples / samples received over the window, percent; null with no audio received. */
  concealedPct: number | null;
  /** Seconds (sample intervals) in which more than half the samples were concealed. */
  secondsMostlyConcealed: number;
  /** Video freezes (freezeCount growth) over the window. */
  freezes: number;
  /** Share of seconds after the first 10 with video from them at >= 180p and >= 5 frames/s, percent. */
  video180pHeldPct: number;
  /** Mean audio jitter-buffer delay (ms) of what this page played out. */
  jitterBufferMs: number | null;
  /** Audio RTP packets lost on the way, percent of those expected (after the SFU). */
  audioLostPct: number | null;
  /** Audio RTP packets received per second: 50 with 20 ms Opus frames, about 17 with 60 ms (DTX lowers it in pauses). */
  audioPacketsPerSecond: number | null;
  /** Audio packets received that carried Opus in-band FEC (fecPacketsReceived growth): whether the sender's encoder adds FEC at all. */
  fecPackets: number;
  /** What the concealment was made of: the part that was silence anyway (percent of samples), concealment events, packets the jitter buffer discarded as late or early (percent of those received), FEC packets it did not use. */
  silentConcealedPct: number | null;
  concealmentEvents: number;
  audioDiscardedPct: number | null;
  fecDiscarded: number;
  /** Mean jitter-buffer target delay (ms). */
  jitterBufferTargetMs: number | null;
  /** Concealed percent in each sample interval (about one a second; null where no audio was received). */
  concealedPctBySecond: (number | null)[];
  /** Audio packets lost on the way in each sample interval. */
  lostBySecond: number[];
}

/** What `receiver` got from `senderPeerId` over these samples (about one per second). */
export function directionFigures(receiver: PageSnapshot[], senderPeerId: string): DirectionFigures {
  const concealed = grown(receiver, senderPeerId, 'audio', (c) => c.concealedSamples);
  const samples = grown(receiver, senderPeerId, 'audio', (c) => c.totalSamplesReceived);
  let mostly = 0;
  const concealedPctBySecond: (number | null)[] = [];
  const lostBySecond: number[] = [];
  let held = 0;
  let counted = 0;
  const start = receiver[0]?.at ?? 0;
  for (let i = 1; i < receiver.length; i += 1) {
    const a = receiver[i - 1]!;
    const b = receiver[i]!;
    const seconds = (b.at - a.at) / 1000;
    const au0 = from(a, senderPeerId, 'audio');
    const au1 = from(b, senderPeerId, 'audio');
    if (au0 && au1 && au0.consumerId === au1.consumerId) {
      const total = au1.totalSamplesReceived - au0.totalSamplesReceived;
      const lost = au1.concealedSamples - au0.concealedSamples;
      // No samples at all in a second of talk is a second of silence for the listener too.
      if (total <= 0 || lost / total > 0.5) mostly += 1;
      concealedPctBySecond.push(total > 0 ? Math.round((1000 * lost) / total) / 10 : null);
      lostBySecond.push(au1.packetsLost - au0.packetsLost);
    } else {
      mostly += 1;
      concealedPctBySecond.push(null);
      lostBySecond.push(0);
    }
    if (b.at - start < 10_000) continue;
    counted += 1;
    const v0 = from(a, senderPeerId, 'video');
    const v1 = from(b, senderPeerId, 'video');
    if (v0 && v1 && v0.consumerId === v1.consumerId && v1.frameHeight >= 180 && (v1.framesDecoded - v0.framesDecoded) / seconds >= 5) held += 1;
  }
  const jbDelay = grown(receiver, senderPeerId, 'audio', (c) => c.jitterBufferDelay);
  const jbCount = grown(receiver, senderPeerId, 'audio', (c) => c.jitterBufferEmittedCount);
  const received = grown(receiver, senderPeerId, 'audio', (c) => c.packetsReceived);
  const lostPackets = grown(receiver, senderPeerId, 'audio', (c) => c.packetsLost);
  const spanSeconds = receiver.length > 1 ? (receiver.at(-1)!.at - receiver[0]!.at) / 1000 : 0;
  const silent = grown(receiver, senderPeerId, 'audio', (c) => c.silentConcealedSamples);
  const discarded = grown(receiver, senderPeerId, 'audio', (c) => c.packetsDiscarded);
  const jbTarget = grown(receiver, senderPeerId, 'audio', (c) => c.jitterBufferTargetDelay);
  return {
    silentConcealedPct: samples > 0 ? (100 * silent) / samples : null,
    concealmentEvents: grown(receiver, senderPeerId, 'audio', (c) => c.concealmentEvents),
    audioDiscardedPct: received > 0 ? (100 * discarded) / received : null,
    fecDiscarded: grown(receiver, senderPeerId, 'audio', (c) => c.fecPacketsDiscarded),
    jitterBufferTargetMs: jbCount > 0 ? (1000 * jbTarget) / jbCount : null,
    concealedPctBySecond,
    lostBySecond,
    audioLostPct: received + lostPackets > 0 ? (100 * lostPackets) / (received + lostPackets) : null,
    audioPacketsPerSecond: spanSeconds > 0 ? received / spanSeconds : null,
    fecPackets: grown(receiver, senderPeerId, 'audio', (c) => c.fecPacketsReceived),
    concealedPct: samples > 0 ? (100 * concealed) / samples : null,
    secondsMostlyConcealed: mostly,
    freezes: grown(receiver, senderPeerId, 'video', (c) => c.freezeCount),
    video180pHeldPct: counted > 0 ? (100 * held) / counted : 0,
    jitterBufferMs: jbCount > 0 ? (1000 * jbDelay) / jbCount : null,
  };
}

export function mean(values: (number | null)[]): number | null {
  const present = values.filter((v): v is number => v !== null && Number.isFinite(v));
  return present.length ? present.reduce((a, b) => a + b, 0) / present.length : null;
}

/** kbit/s of transport bytes between the first and last sample. */
export function kbps(samples: PageSnapshot[], of: (s: PageSnapshot) => number): number | null {
  // Transports are remade on a media restart: sum the growth, skipping drops to a new counter.
  let bytes = 0;
  for (let i = 1; i < samples.length; i += 1) bytes += Math.max(0, of(samples[i]!) - of(samples[i - 1]!));
  const seconds = samples.length > 1 ? (samples.at(-1)!.at - samples[0]!.at) / 1000 : 0;
  return seconds > 0 ? (8 * bytes) / 1000 / seconds : null;
}
