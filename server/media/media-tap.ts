// A tap on one producer: a plain RTP transport (no comedia, RTCP muxed) that sends that producer
// alone to a local port, where a recorder listens. mediasoup only.
import type { types } from 'mediasoup';

export interface MediaTap {
  readonly producerId: string;
  /** The parameters of what the tap sends (payload type, codec, SSRC): what the receiver's SDP says. */
  readonly rtpParameters: types.RtpParameters;
  /** Where the receiver listens (RTP and RTCP on that one port). */
  connect(target: { ip: string; port: number }): Promise<void>;
  /** Starts the flow (taps are opened paused, so the receiver can be listening first). */
  resume(): Promise<void>;
  requestKeyFrame(): Promise<void>;
  close(): void;
  /** Called once when the tap ends for any reason (producer closed, router or worker gone, close()). */
  onClosed(listener: () => void): void;
  readonly closed: boolean;
}

/**
 * What a tap's receiver accepts: the router's codecs without congestion-control feedback. The
 * receiver sends no such feedback, and with transport-cc on, mediasoup would send it bandwidth
 * probes instead of media.
 */
export function tapRtpCapabilities(router: types.RtpCapabilities): types.RtpCapabilities {
  const bwe = new Set(['http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01', 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time']);
  return {
    codecs: (router.codecs ?? []).map((codec) => ({ ...codec, rtcpFeedback: (codec.rtcpFeedback ?? []).filter((fb) => fb.type !== 'transport-cc' && fb.type !== 'goog-remb') })),
    headerExtensions: (router.headerExtensions ?? []).filter((ext) => !bwe.has(ext.uri)),
  };
}

export async function openTap(router: types.Router, producerId: string, listenIp = '127.0.0.1'): Promise<MediaTap> {
  const transport = await router.createPlainTransport({ listenInfo: { protocol: 'udp', ip: listenIp }, rtcpMux: true, comedia: false, appData: { tap: producerId } });
  try {
    const consumer = await transport.consume({ producerId, rtpCapabilities: tapRtpCapabilities(router.rtpCapabilities), paused: true });
    const listeners: (() => void)[] = [];
    let closed = false;
    const end = () => {
      if (closed) return;
      closed = true;
      transport.close();
      for (const listener of listeners.splice(0)) listener();
    };
    consumer.observer.once('close', end);
    transport.observer.once('close', end);
    return {
      producerId,
      rtpParameters: consumer.rtpParameters,
      connect: (target) => transport.connect({ ip: target.ip, port: target.port }),
      resume: () => consumer.resume(),
      requestKeyFrame: async () => {
        if (!closed && consumer.kind === 'video') await consumer.requestKeyFrame();
      },
      close: end,
      onClosed: (listener) => (closed ? listener() : listeners.push(listener)),
      get closed() {
        return closed;
      },
    };
  } catch (error) {
    transport.close();
    throw error;
  }
}
