/**
 * Link quality from RTCPeerConnection statistics (mediasoup-client's transport.getStats()):
 * round-trip time and the sender's bandwidth estimate from the selected candidate pair, bitrates
 * and packet loss from RTP byte and packet counters between two samples.
 */

export interface Counters {
  at: number;
  bytesSent: number;
  bytesReceived: number;
  packetsReceived: number;
  packetsLost: number;
}

export interface LinkSample {
  rttMs: number | null;
  /** Sender-side bandwidth estimate (bits per second), when the browser reports it. */
  availableOutgoingBitrate: number | null;
  lossPct: number | null;
  sendKbps: number | null;
  recvKbps: number | null;
}

interface PairInfo {
  rttMs: number | null;
  availableOutgoingBitrate: number | null;
}

export type StatsRecord = Record<string, unknown> & { type: string; id: string };

export function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

export function entries(report: RTCStatsReport | null): StatsRecord[] {
  const out: StatsRecord[] = [];
  report?.forEach((value: StatsRecord) => {
    out.push(value);
  });
  return out;
}

/** The candidate pair actually in use (by the transport's selectedCandidatePairId, else the nominated succeeded one). */
export function selectedPairOf(stats: StatsRecord[]): StatsRecord | undefined {
  const byId = new Map(stats.map((s) => [s.id, s]));
  let pair: StatsRecord | undefined;
  for (const s of stats) {
    if (s.type === 'transport' && typeof s.selectedCandidatePairId === 'string') pair = byId.get(s.selectedCandidatePairId);
  }
  return pair ?? stats.find((s) => s.type === 'candidate-pair' && s.nominated === true && s.state === 'succeeded');
}

function selectedPair(stats: StatsRecord[]): PairInfo | null {
  const pair = selectedPairOf(stats);
  if (!pair) return null;
  const rtt = num(pair.currentRoundTripTime);
  return { rttMs: rtt === null ? null : Math.round(rtt * 1000), availableOutgoingBitrate: num(pair.availableOutgoingBitrate) };
}

export function countersOf(send: RTCStatsReport | null, recv: RTCStatsReport | null, at: number): Counters {
  const counters: Counters = { at, bytesSent: 0, bytesReceived: 0, packetsReceived: 0, packetsLost: 0 };
  for (const s of entries(send)) {
    if (s.type === 'outbound-rtp') counters.bytesSent += num(s.bytesSent) ?? 0;
  }
  for (const s of entries(recv)) {
    if (s.type !== 'inbound-rtp') continue;
    counters.bytesReceived += num(s.bytesReceived) ?? 0;
    counters.packetsReceived += num(s.packetsReceived) ?? 0;
    counters.packetsLost += Math.max(0, num(s.packetsLost) ?? 0);
  }
  return counters;
}

/** One sample: rates are per second between `previous` and `current` (null on the first sample). */
export function sampleOf(send: RTCStatsReport | null, recv: RTCStatsReport | null, previous: Counters | null, current: Counters): LinkSample {
  const sendPair = selectedPair(entries(send));
  const recvPair = selectedPair(entries(recv));
  const sample: LinkSample = {
    rttMs: sendPair?.rttMs ?? recvPair?.rttMs ?? null,
    availableOutgoingBitrate: sendPair?.availableOutgoingBitrate ?? null,
    lossPct: null,
    sendKbps: null,
    recvKbps: null,
  };
  if (!previous) return sample;
  const seconds = (current.at - previous.at) / 1000;
  if (seconds <= 0) return sample;
  // Counters restart from zero with new transports: a negative delta means "no rate yet".
  const rate = (now: number, before: number) => (now >= before ? Math.round(((now - before) * 8) / seconds / 1000) : null);
  sample.sendKbps = rate(current.bytesSent, previous.bytesSent);
  sample.recvKbps = rate(current.bytesReceived, previous.bytesReceived);
  const received = current.packetsReceived - previous.packetsReceived;
  const lost = current.packetsLost - previous.packetsLost;
  // Too few packets say nothing about loss (DTX silence, audio only).
  if (received >= 0 && lost >= 0 && received + lost >= 25) sample.lossPct = Math.round((lost / (received + lost)) * 1000) / 10;
  return sample;
}

/** The simulcast layer worth receiving for a tile this many CSS pixels wide (layers are ¼, ½ and full 720p width). */
export function layerForWidth(cssWidth: number): number {
  const pixels = cssWidth * Math.min(typeof devicePixelRatio === 'number' ? devicePixelRatio : 1, 1.5);
  if (pixels <= 360) return 0;
  if (pixels <= 720) return 1;
  return 2;
}

/** All bytes a transport received (media, RTCP, ICE) and its path's round trip: what the path watch reads. */
export function pathCounters(report: RTCStatsReport | null): { bytesReceived: number | null; rttMs: number | null } {
  const stats = entries(report);
  const transport = stats.find((s) => s.type === 'transport');
  return { bytesReceived: num(transport?.bytesReceived), rttMs: selectedPair(stats)?.rttMs ?? null };
}
