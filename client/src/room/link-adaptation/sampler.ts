/**
 * Turns one person's WebRTC statistics into the controller's input: their own uplink (loss the
 * SFU reported back for our streams, our estimate, our round trip) and their own downlink (loss,
 * jitter and concealment on what they receive, counting only feeds from senders whose uplink is
 * clean: a sender's own loss shows up at every receiver and must not count against them).
 */
import type { LinkInput } from './controller.ts';

type StatsRecord = Record<string, unknown> & { type: string; id: string };

export interface InboundCounters {
  packetsReceived: number;
  packetsLost: number;
  concealed: number;
  samples: number;
}

/** Counters per inbound stream (stats id) from the previous sample. */
export type InboundMemory = Map<string, InboundCounters>;

function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

export function records(report: RTCStatsReport | null): StatsRecord[] {
  const out: StatsRecord[] = [];
  report?.forEach((value: StatsRecord) => {
    out.push(value);
  });
  return out;
}

function pairOf(stats: StatsRecord[]): StatsRecord | undefined {
  const byId = new Map(stats.map((s) => [s.id, s]));
  let pair: StatsRecord | undefined;
  for (const s of stats) if (s.type === 'transport' && typeof s.selectedCandidatePairId === 'string') pair = byId.get(s.selectedCandidatePairId);
  return pair ?? stats.find((s) => s.type === 'candidate-pair' && s.nominated === true && s.state === 'succeeded');
}

const round1 = (v: number) => Math.round(v * 10) / 10;

export interface SampleContext {
  at: number;
  sendingVideo: boolean;
  /** Whether the feed with this track id comes from a sender whose own uplink is clean. */
  fromCleanSender(trackId: string): boolean;
}

/** One controller input from the send and receive transports' statistics; `memory` is updated in place. */
export function linkInputOf(send: StatsRecord[], recv: StatsRecord[], memory: InboundMemory, ctx: SampleContext): LinkInput {
  const sendPair = pairOf(send);
  const recvPair = pairOf(recv);
  const rtt = num(sendPair?.currentRoundTripTime) ?? num(recvPair?.currentRoundTripTime);
  const outgoing = num(sendPair?.availableOutgoingBitrate);
  // The SFU's receiver reports on our streams: the worst one is our uplink.
  let sendLoss: number | null = null;
  for (const s of send) {
    const fraction = s.type === 'remote-inbound-rtp' ? num(s.fractionLost) : null;
    if (fraction !== null) sendLoss = Math.max(sendLoss ?? 0, fraction * 100);
  }
  let received = 0;
  let lost = 0;
  let concealed = 0;
  let samples = 0;
  let jitter: number | null = null;
  const seen = new Set<string>();
  for (const s of recv) {
    if (s.type !== 'inbound-rtp') continue;
    seen.add(s.id);
    const now: InboundCounters = {
      packetsReceived: num(s.packetsReceived) ?? 0,
      packetsLost: Math.max(0, num(s.packetsLost) ?? 0),
      concealed: Math.max(0, (num(s.concealedSamples) ?? 0) - (num(s.silentConcealedSamples) ?? 0)),
      samples: num(s.totalSamplesReceived) ?? 0,
    };
    const before = memory.get(s.id);
    memory.set(s.id, now);
    if (!before || typeof s.trackIdentifier !== 'string' || !ctx.fromCleanSender(s.trackIdentifier)) continue;
    const dReceived = now.packetsReceived - before.packetsReceived;
    const dLost = now.packetsLost - before.packetsLost;
    if (dReceived < 0 || dLost < 0) continue;
    received += dReceived;
    lost += dLost;
    if (s.kind === 'audio') {
      const dSamples = now.samples - before.samples;
      const dConcealed = now.concealed - before.concealed;
      if (dSamples > 0 && dConcealed >= 0) {
        concealed += dConcealed;
        samples += dSamples;
      }
      const j = num(s.jitter);
      if (j !== null && dReceived > 0) jitter = Math.max(jitter ?? 0, j * 1000);
    }
  }
  for (const key of [...memory.keys()]) if (!seen.has(key)) memory.delete(key);
  return {
    at: ctx.at,
    sendLossPct: sendLoss === null ? null : round1(sendLoss),
    rttMs: rtt === null ? null : Math.round(rtt * 1000),
    outgoingKbps: outgoing === null ? null : Math.round(outgoing / 1000),
    sendingVideo: ctx.sendingVideo,
    // Too few packets say nothing about loss (DTX silence).
    recvLossPct: received + lost >= 25 ? round1((lost / (received + lost)) * 100) : null,
    jitterMs: jitter === null ? null : Math.round(jitter),
    // Under a fifth of a second of audio says nothing either.
    concealedPct: samples >= 9_600 ? round1((concealed / samples) * 100) : null,
  };
}
