/**
 * This person's OWN paths from their transports' getStats (issue 13: the party's lossy uplink
 * was once counted as the mediator's trouble). Send: the share of our video packets the SFU asked
 * for again (outbound-rtp retransmittedPacketsSent: the loss on the uplink itself, before NACK
 * repaired it), the SFU's receiver reports on the video it got from us (remote-inbound-rtp, only
 * reports newer than the last sample: the loss left after repair), the uplink's bandwidth
 * estimate and RTT; without video, the audio's report as an upper bound (good enough to step back
 * up, never a reason to step down). Receive: loss, jitter and concealment of the inbound streams whose sender's
 * own uplink is fine and that have flowed a while (loss a sender's uplink caused arrives here
 * too, and is theirs to act on), and the downlink's RTT.
 */
import { entries, num, selectedPairOf as pairOf, type StatsRecord } from '../link-stats.ts';
import { type PathSignals, senderLossyPct } from './decide.ts';

interface StreamCounters {
  packetsSent: number;
  retransmitted: number;
  packetsReceived: number;
  packetsLost: number;
  concealed: number;
  totalSamples: number;
  reports: number;
  firstSeen: number;
  /** Uplink entry: video packets sent and sent again in each of the last samples; downlink and sender entries: received and lost. */
  window?: [number, number][];
}

/** The uplink's retransmission share is taken over this many samples (a 180p layer sends 10–15 packets a second). */
const uplinkWindow = 3;

/** The downlink's loss is also taken over this many samples (the higher figure counts). */
const downlinkWindow = 3;

/** A sender's loss is taken over this many samples, and judged only with this many packets in them. */
const senderWindow = 3;
const senderMinPackets = 20;

/** A stream seen for the first time at `firstSeen`, nothing counted yet. */
const uncounted = (firstSeen: number): StreamCounters => ({ packetsSent: 0, retransmitted: 0, packetsReceived: 0, packetsLost: 0, concealed: 0, totalSamples: 0, reports: 0, firstSeen });

/**
 * Adds this sample's pair of counts to the window kept under `key` (the newest `size` samples)
 * and returns the window's sums.
 */
function windowed(previous: PathCounters, counters: PathCounters, key: string, latest: [number, number], size: number): [number, number] {
  const window = [...(previous.get(key)?.window ?? []), latest].slice(-size);
  counters.set(key, { ...uncounted(0), window });
  return [window.reduce((n, [a]) => n + a, 0), window.reduce((n, [, b]) => n + b, 0)];
}

/** Per stats id, what the previous sample saw. */
export type PathCounters = Map<string, StreamCounters>;

interface OwnPathOptions {
  /** Whether an inbound track's sender has a good uplink (false: their loss is not ours). */
  counts(trackIdentifier: string): boolean;
  /** A new inbound stream is judged only after this long (its sender may not have reported yet). */
  settleMs: number;
  /** Who sends an inbound track (null: unknown): loss from every one of several senders is our downlink's. */
  senderOf?(trackIdentifier: string): string | null;
}

const ms = (seconds: number | null) => (seconds === null ? null : Math.round(seconds * 1000));
const maxOf = (values: (number | null)[]): number | null => {
  const known = values.filter((v): v is number => v !== null);
  return known.length ? Math.max(...known) : null;
};

/** The signals of both directions, and the counters for the next sample. */
export function ownPath(
  send: RTCStatsReport | null,
  recv: RTCStatsReport | null,
  previous: PathCounters,
  now: number,
  options: OwnPathOptions,
): { send: PathSignals; recv: PathSignals; counters: PathCounters; theirs: number; everySenderLossy: boolean; judgedSenders: number; uplinkVideoPackets: number } {
  const counters: PathCounters = new Map();
  const blank = () => uncounted(now);

  // --- send: fresh receiver reports from the SFU about our streams.
  const sendStats = entries(send);
  const sendPair = pairOf(sendStats);
  const fresh: StatsRecord[] = [];
  for (const s of sendStats) {
    if (s.type !== 'remote-inbound-rtp') continue;
    // Chromium counts receiver reports as roundTripTimeMeasurements (reportsReceived is in the
    // spec, not in Chromium); without either counter every report counts as fresh.
    const reports = num(s.roundTripTimeMeasurements) ?? num(s.reportsReceived);
    const before = previous.get(s.id);
    counters.set(s.id, { ...(before ?? blank()), reports: reports ?? 0 });
    if (reports === null || reports > (before?.reports ?? 0)) fresh.push(s);
  }
  // Video packets sent and sent again since the last sample (every simulcast layer). The SFU
  // (mediasoup's NackGenerator) asks only for what did not reach it from us: this is our
  // uplink's own loss. The receiver reports' fractionLost counts a packet repaired by a
  // retransmission as received, so it reads a 10 % lossy uplink as 1–3 % (seen in scenario A:
  // voice only after 16 s, stepping on delay and bandwidth alone).
  let sent = 0;
  let resent = 0;
  let audioSent = 0;
  for (const s of sendStats) {
    if (s.type !== 'outbound-rtp') continue;
    const before = previous.get(s.id);
    const now_: StreamCounters = { ...(before ?? blank()), packetsSent: num(s.packetsSent) ?? 0, retransmitted: num(s.retransmittedPacketsSent) ?? 0 };
    counters.set(s.id, now_);
    const dSent = now_.packetsSent - (before?.packetsSent ?? 0);
    const dResent = now_.retransmitted - (before?.retransmitted ?? 0);
    if (!before || dSent < 0 || dResent < 0) continue; // first sight, or counters restarted
    if (s.kind === 'video') {
      sent += dSent;
      resent += dResent;
    } else if (s.kind === 'audio') audioSent += dSent;
  }
  const [windowSent, windowResent] = windowed(previous, counters, '#uplink', [sent, resent], uplinkWindow);
  // Too few packets say nothing (a paused camera, the first frames).
  const rawLossPct = windowSent >= 30 ? Math.min(100, Math.round((windowResent / windowSent) * 1000) / 10) : null;
  const available = num(sendPair?.availableOutgoingBitrate);
  // Only video's reports speak of our uplink: for Opus with in-band FEC, mediasoup puts the
  // worst loss among the stream's *receivers* into its report to the sender (so the sender adds
  // redundancy; RtpStreamRecv's worstRemoteFractionLost). A listener's lossy downlink would read
  // as our loss; that is how a clean-link mediator was sent to voice only.
  const fractionLost = maxOf(fresh.filter((s) => s.kind === 'video').map((s) => num(s.fractionLost)));
  const videoLossPct = maxOf([fractionLost === null ? null : Math.round(fractionLost * 1000) / 10, rawLossPct]);
  // No video (voice only, camera off): the audio's report is at least our uplink's loss, so a
  // low figure proves the uplink good (the way back up); a high one may be a listener's.
  const audioLost = videoLossPct === null && audioSent >= 10 ? maxOf(fresh.filter((s) => s.kind === 'audio').map((s) => num(s.fractionLost))) : null;
  const sendSignals: PathSignals = {
    lossPct: videoLossPct ?? (audioLost === null ? null : Math.round(audioLost * 1000) / 10),
    rttMs: maxOf([ms(maxOf(fresh.map((s) => num(s.roundTripTime)))), ms(num(sendPair?.currentRoundTripTime))]),
    availableKbps: available === null ? null : Math.round(available / 1000),
  };
  if (videoLossPct === null && audioLost !== null) sendSignals.lossUpperBound = true;

  // --- receive: our downlink, from the streams that are ours to judge.
  const recvStats = entries(recv);
  const recvPair = pairOf(recvStats);
  let received = 0;
  let lost = 0;
  let concealed = 0;
  let samples = 0;
  const jitters: (number | null)[] = [];
  /** Inbound streams left out because their sender's own uplink is weak. */
  let theirs = 0;
  const perSender = new Map<string, { received: number; lost: number }>();
  for (const s of recvStats) {
    if (s.type !== 'inbound-rtp') continue;
    const before = previous.get(s.id);
    const now_: StreamCounters = {
      packetsSent: 0,
      retransmitted: 0,
      packetsReceived: num(s.packetsReceived) ?? 0,
      packetsLost: Math.max(0, num(s.packetsLost) ?? 0),
      concealed: (num(s.concealedSamples) ?? 0) - (num(s.silentConcealedSamples) ?? 0),
      totalSamples: num(s.totalSamplesReceived) ?? 0,
      reports: 0,
      firstSeen: before?.firstSeen ?? now,
    };
    counters.set(s.id, now_);
    const track = typeof s.trackIdentifier === 'string' ? s.trackIdentifier : '';
    if (!before || now - now_.firstSeen < options.settleMs) continue;
    if (!options.counts(track)) {
      theirs += 1;
      continue;
    }
    const dReceived = now_.packetsReceived - before.packetsReceived;
    const dLost = now_.packetsLost - before.packetsLost;
    if (dReceived < 0 || dLost < 0) continue; // counters restarted
    received += dReceived;
    lost += dLost;
    const sender = options.senderOf?.(track) ?? null;
    if (sender !== null) {
      const bySender = perSender.get(sender) ?? { received: 0, lost: 0 };
      perSender.set(sender, { received: bySender.received + dReceived, lost: bySender.lost + dLost });
    }
    if (s.kind === 'audio' && now_.totalSamples > before.totalSamples) {
      samples += now_.totalSamples - before.totalSamples;
      concealed += Math.max(0, now_.concealed - before.concealed);
    }
    if (s.kind === 'audio') jitters.push(ms(num(s.jitter))); // video's jitter swings with frame sizes
  }
  // Too few packets say nothing about loss (DTX silence).
  const lossShare = (r: number, l: number) => (r + l >= 25 ? Math.round((l / (r + l)) * 1000) / 10 : null);
  // The downlink's loss: this second's, or the last three seconds' where that is higher. One second
  // of ~100 packets reads scenario A's 10 % anywhere from 4 to 17 %; receiving takes five samples
  // in a row for voice only, and those dips broke every run of five (voice only after 35 s in a
  // namespace run of A). A one-second burst on a clean link still counts once, and the window adds
  // at most two samples more of it: fewer than five.
  const thisSecond = lossShare(received, lost);
  const overWindow = lossShare(...windowed(previous, counters, '#downlink', [received, lost], downlinkWindow));
  const recvSignals: PathSignals = {
    lossPct: thisSecond === null ? null : Math.max(thisSecond, overWindow ?? thisSecond),
    rttMs: ms(num(recvPair?.currentRoundTripTime)),
    concealedPct: samples > 0 ? Math.round((concealed / samples) * 1000) / 10 : null,
    jitterMs: maxOf(jitters),
  };
  // Each sender's loss over the last few samples: one second of a quiet sender (DTX, a paused
  // thumbnail) holds a handful of packets, and none lost read as "this sender is clean".
  const judged: { received: number; lost: number }[] = [];
  for (const [sender, latest] of perSender) {
    const [received, lostHere] = windowed(previous, counters, `#sender:${sender}`, [latest.received, latest.lost], senderWindow);
    if (received + lostHere >= senderMinPackets) judged.push({ received, lost: lostHere });
  }
  const everySenderLossy = judged.length >= 2 && judged.every((p) => (100 * p.lost) / (p.received + p.lost) >= senderLossyPct);
  return { send: sendSignals, recv: recvSignals, counters, theirs, everySenderLossy, judgedSenders: judged.length, uplinkVideoPackets: windowSent };
}
