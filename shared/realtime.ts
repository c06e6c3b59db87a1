import { z } from 'zod';
import { attendanceStates, identityMethods } from './domain/attendance.ts';
import { consultationStatuses } from './domain/consultations.ts';
import { languagePairSchema, listeningChoicesSchema, listeningModes } from './domain/interpretation.ts';
import { participantRoles } from './domain/participants.ts';
import { recordingActions, recordingStates } from './domain/recordings.ts';
import { sessionStatuses } from './domain/sessions.ts';
import { errorBodySchema } from './errors.ts';
import { sessionIdSchema } from './ids.ts';

/**
 * The realtime contract: every client→server event with its request and ack schema, every
 * server→client event with its payload schema. Both sides parse with these; the server parses
 * every payload before acting and answers a bad one with an error ack.
 */

const id = z.string().min(1).max(64);
/** mediasoup's own parameter objects are passed through; the worker validates their insides. */
const mediasoupObject = z.record(z.string(), z.unknown());
const text = z.string().refine((v) => !v.includes('\u0000'), 'must not contain NUL characters');

/** `interpretation`: an interpreter's channel, an audio producer apart from their own floor voice. */
export const mediaSources = ['microphone', 'camera', 'screen', 'interpretation'] as const;
export type MediaSource = (typeof mediaSources)[number];
export const mediaKinds = ['audio', 'video'] as const;

/**
 * A device's receive capabilities (mediasoup's RtpCapabilities), checked in shape here because
 * the server keeps them and creates every later consumer from them.
 */
export const rtpCapabilitiesSchema = z.object({
  codecs: z
    .array(
      z.object({
        kind: z.enum(mediaKinds),
        mimeType: z.string().max(64).regex(/^(audio|video)\/[\w.+-]+$/i),
        preferredPayloadType: z.number().int().min(0).max(127).optional(),
        clockRate: z.number().int().positive().max(10_000_000),
        channels: z.number().int().min(1).max(8).optional(),
        parameters: z.record(z.string().max(64), z.union([z.string().max(256), z.number()])).optional(),
        rtcpFeedback: z.array(z.object({ type: z.string().max(32), parameter: z.string().max(32).optional() })).max(16).optional(),
      }),
    )
    .max(64)
    .optional(),
  headerExtensions: z
    .array(
      z.object({
        kind: z.enum(mediaKinds),
        uri: z.string().max(256),
        preferredId: z.number().int().min(1).max(255),
        preferredEncrypt: z.boolean().optional(),
        direction: z.enum(['sendrecv', 'sendonly', 'recvonly', 'inactive']).optional(),
      }),
    )
    .max(64)
    .optional(),
});

export const linkQualitySchema = z.object({
  rttMs: z.number().min(0).max(60_000).nullable(),
  lossPct: z.number().min(0).max(100).nullable(),
  sendKbps: z.number().min(0).max(1_000_000).nullable(),
  recvKbps: z.number().min(0).max(1_000_000).nullable(),
  at: z.string().optional(),
});
export type LinkQuality = z.infer<typeof linkQualitySchema>;

/**
 * Weak-link adaptation (issue 13): what a person's own path carries in one direction. full:
 * everything; reduced: lower video layers and audio bitrate; low: the bottom layer at 15 fps
 * (send only); voice: audio only.
 */
export const linkLevels = ['full', 'reduced', 'low', 'voice'] as const;
export type LinkLevel = (typeof linkLevels)[number];
/**
 * The most the SFU may send a person whose downlink is at a receive level, bit/s (null: no cap).
 * The SFU probes a link it is not filling (mediasoup's periodic ALR probing: every 5 s, a burst at
 * twice its estimate, up to its maximum), so a weak downlink it barely uses is the one it probes,
 * and its estimate can run past what the level receives; the cap bounds both. It chooses only
 * among simulcast layers: audio (a single stream) is never held back. mediasoup's floor is 30 kbit/s.
 */
export const downlinkCapBps: Record<LinkLevel, number | null> = { full: null, reduced: 800_000, low: 300_000, voice: 60_000 };
/** The cap for a person's receive level; with audio only on (by anyone's choice) no video is sent them at all. */
export function downlinkCap(recv: LinkLevel, audioOnly: boolean): number | null {
  return audioOnly ? downlinkCapBps.voice : downlinkCapBps[recv];
}
export const linkDirections = ['send', 'recv'] as const;
export type LinkDirection = (typeof linkDirections)[number];
/**
 * Why a level was chosen: the signal past its limit, a stable period (a step back up), video back
 * by hand, or 'theirs' (a receive step taken back: the loss was a sender's uplink, as their own
 * report then showed).
 */
export const linkReasons = ['loss', 'delay', 'bandwidth', 'concealment', 'jitter', 'stable', 'manual', 'theirs'] as const;
export type LinkReason = (typeof linkReasons)[number];

/** One adaptation decision, as the client reports it (link:event) and the mediator sees it. */
export const linkEventSchema = z.object({
  direction: z.enum(linkDirections),
  from: z.enum(linkLevels),
  to: z.enum(linkLevels),
  reasons: z.array(z.enum(linkReasons)).min(1).max(linkReasons.length),
  lossPct: z.number().min(0).max(100).nullable(),
  rttMs: z.number().min(0).max(60_000).nullable(),
});
export type LinkEvent = z.infer<typeof linkEventSchema>;

/** A person's adaptation state; everyone sees the levels (receivers discount loss from a sender whose uplink is weak), the host also the last decision. */
export const linkStateSchema = z.object({
  send: z.enum(linkLevels),
  recv: z.enum(linkLevels),
  last: linkEventSchema.extend({ at: z.string() }).nullable().optional(),
});
export type LinkState = z.infer<typeof linkStateSchema>;

export const networkTestSchema = z.object({
  rttMs: z.number().min(0).max(60_000),
  downKbps: z.number().min(0).max(10_000_000),
  upKbps: z.number().min(0).max(10_000_000),
  hasCamera: z.boolean(),
  hasMicrophone: z.boolean(),
});
export type NetworkTest = z.infer<typeof networkTestSchema>;

export const peerViewSchema = z.object({
  peerId: z.string(),
  displayName: z.string(),
  role: z.enum(participantRoles),
  isHost: z.boolean(),
  state: z.enum(attendanceStates),
  /** 'joint' or a caucus id. */
  space: z.string(),
  connected: z.boolean(),
  handRaised: z.boolean(),
  hostMuted: z.object({ audio: z.boolean(), video: z.boolean() }),
  audioOnly: z.boolean(),
  canShareScreen: z.boolean(),
  identityVerified: z.boolean(),
  /** An interpreter's language pair (everyone sees it: listeners choose by it). */
  languagePair: languagePairSchema.nullable().optional(),
  /**
   * What this person hears of whom (speaker's peer id → interpretation or both; anyone else:
   * the original). Only in their own view (restored after a reconnect) and the host's.
   */
  listening: listeningChoicesSchema.optional(),
  /** Only in the host's view. */
  networkTest: networkTestSchema.extend({ at: z.string() }).nullable().optional(),
  linkQuality: linkQualitySchema.nullable().optional(),
  link: linkStateSchema.nullable().optional(),
});
export type PeerView = z.infer<typeof peerViewSchema>;

/** `recorded`: only in the host's view (whether the mediator chose to record this caucus). */
export const caucusSchema = z.object({ id: z.string(), name: z.string(), recorded: z.boolean().optional() });

/**
 * The session's recording as the viewer must know it (null: not recorded). `recordedHere`: the
 * viewer's own space is being recorded now; `consentNeeded`: the viewer must confirm the notice
 * (recording:consent) before sending media; `problem`: host only, why a track is not recorded.
 */
export const recordingViewSchema = z.object({
  state: z.enum(recordingStates).exclude(['stopped']),
  recordedHere: z.boolean(),
  consentNeeded: z.boolean(),
  problem: z.string().nullable().optional(),
});

export const evidenceShownSchema = z.object({ evidenceId: z.string(), fileName: z.string(), contentType: z.string(), page: z.number().int().min(1), url: z.string() });

export const roomStateSchema = z.object({
  sessionId: z.string(),
  sessionStatus: z.enum(sessionStatuses),
  locked: z.boolean(),
  spotlightPeerId: z.string().nullable(),
  activeSpeakerPeerId: z.string().nullable(),
  caucuses: z.array(caucusSchema),
  evidence: evidenceShownSchema.nullable(),
  recording: recordingViewSchema.nullable(),
  /** Host only: the server stopped the last recording, and why (until recording starts again). */
  recordingStopped: z.enum(['STORAGE_FULL']).optional(),
  /** Everyone the receiver may see: the host sees the lobby too. */
  peers: z.array(peerViewSchema),
  selfPeerId: z.string(),
});
export type RoomState = z.infer<typeof roomStateSchema>;

export const chatMessageSchema = z.object({
  id: z.string(),
  space: z.string(),
  peerId: z.string(),
  displayName: z.string(),
  text: z.string(),
  sentAt: z.string(),
});
export type ChatMessage = z.infer<typeof chatMessageSchema>;

export const transportParamsSchema = z.object({
  id: z.string(),
  iceParameters: mediasoupObject,
  iceCandidates: z.array(mediasoupObject),
  dtlsParameters: mediasoupObject,
});
export type TransportParams = z.infer<typeof transportParamsSchema>;

export const consumerParamsSchema = z.object({
  consumerId: z.string(),
  producerId: z.string(),
  peerId: z.string(),
  kind: z.enum(mediaKinds),
  source: z.enum(mediaSources),
  rtpParameters: mediasoupObject,
  /** Whether the producer is paused (muted) right now. */
  producerPaused: z.boolean(),
});

const empty = z.object({}).strict();

/** Largest network-test sample per call, either way (the client's largest is 200 kB). */
export const networkTestMaxBytes = 1_000_000;

export const enterResultSchema = z.object({
  peerId: z.string(),
  /** Present this on reconnection (even after a server restart) to get straight back in. */
  resumeToken: z.string(),
  self: z.object({ displayName: z.string(), role: z.enum(participantRoles), isHost: z.boolean() }),
  state: z.enum(attendanceStates),
  session: z.object({ id: z.string(), caseId: z.string(), title: z.string(), status: z.enum(sessionStatuses), caseNumber: z.string() }),
  /** How this person must confirm their identity before the lobby; null when already done. */
  identityMethod: z.enum(identityMethods).nullable(),
  deviceCheckDone: z.boolean(),
  /** Whether the server still holds this peer's transports; if not, call media:start. */
  mediaActive: z.boolean(),
  /**
   * The room's codecs (null when media is off): load the device with them now, and media:start
   * can carry its capabilities (one round trip less on the way in).
   */
  routerRtpCapabilities: mediasoupObject.nullable().optional(),
});
export type EnterResult = z.infer<typeof enterResultSchema>;

export const iceServerSchema = z.object({ urls: z.array(z.string()).min(1), username: z.string(), credential: z.string() });
export type IceServer = z.infer<typeof iceServerSchema>;

export const mediaStartSchema = z.object({
  routerRtpCapabilities: mediasoupObject,
  send: transportParamsSchema,
  recv: transportParamsSchema,
  /** TURN servers with time-limited credentials for this participant (empty: none configured). */
  iceServers: z.array(iceServerSchema).default([]),
});

const peerTarget = z.object({ peerId: id });

export const clientEvents = {
  /** First call on every connection: identifies the caller (cookie or invitation) and their place. */
  'session:enter': { request: z.object({ sessionId: sessionIdSchema.optional(), resumeToken: z.string().max(100).optional() }), ack: enterResultSchema },
  'net:ping': { request: z.object({ sentAt: z.number() }), ack: z.object({ sentAt: z.number(), serverAt: z.number() }) },
  'net:download': { request: z.object({ bytes: z.number().int().min(1).max(networkTestMaxBytes) }), ack: z.object({ payload: z.instanceof(Uint8Array).or(z.instanceof(ArrayBuffer)) }) },
  'net:upload': {
    request: z.object({ payload: z.instanceof(Uint8Array).or(z.instanceof(ArrayBuffer)).refine((p) => p.byteLength <= networkTestMaxBytes, `at most ${networkTestMaxBytes} bytes`) }),
    ack: z.object({ bytes: z.number().int() }),
  },
  'device-check:report': { request: networkTestSchema, ack: z.object({ audioOnlySuggested: z.boolean() }) },
  'identity:confirm': {
    request: z.discriminatedUnion('method', [
      z.object({ method: z.literal('id_last4'), name: text.trim().min(1).max(100), last4: z.string().regex(/^[0-9X]{4}$/i) }),
      z.object({ method: z.literal('one_time_code'), code: z.string().regex(/^\d{6}$/) }),
    ]),
    ack: z.object({ verified: z.literal(true) }),
  },
  'lobby:wait': { request: empty, ack: z.object({ state: z.enum(attendanceStates) }) },
  'room:leave': { request: empty, ack: empty },

  // The host (mediator) only.
  'host:admit': { request: peerTarget, ack: empty },
  'host:refuse': { request: peerTarget.extend({ reason: text.max(200).optional() }), ack: empty },
  'host:remove': { request: peerTarget, ack: empty },
  'host:lock': { request: z.object({ locked: z.boolean() }), ack: empty },
  'host:mute': { request: peerTarget.extend({ kind: z.enum(mediaKinds), muted: z.boolean() }), ack: empty },
  'host:spotlight': { request: z.object({ peerId: id.nullable() }), ack: empty },
  'host:allow-screen': { request: peerTarget.extend({ allowed: z.boolean() }), ack: empty },
  'host:issue-code': { request: peerTarget, ack: z.object({ code: z.string() }) },
  'host:session': { request: z.object({ to: z.enum(['live', 'paused', 'ended']) }), ack: z.object({ status: z.enum(sessionStatuses) }) },
  'host:caucus-open': { request: z.object({ name: text.trim().min(1).max(40) }), ack: caucusSchema },
  'host:caucus-close': { request: z.object({ caucusId: id }), ack: empty },
  'host:move': { request: peerTarget.extend({ space: id }), ack: empty },
  'host:show-evidence': { request: z.object({ evidenceId: z.uuid(), page: z.number().int().min(1).max(10_000).default(1) }), ack: empty },
  'host:hide-evidence': { request: empty, ack: empty },
  /** Start, pause, resume or stop recording the session (the joint room and the caucuses chosen). */
  'host:recording': { request: z.object({ action: z.enum(Object.keys(recordingActions) as [keyof typeof recordingActions, ...(keyof typeof recordingActions)[]]) }), ack: z.object({ state: z.enum(recordingStates) }) },
  /** Whether a caucus is recorded (while the session's recording runs); not recorded unless chosen. */
  'host:caucus-recording': { request: z.object({ caucusId: id, recorded: z.boolean() }), ack: empty },

  /** The plain-language recording notice was read and confirmed: media may start. */
  'recording:consent': { request: empty, ack: empty },

  /**
   * What the caller hears of one person in the room: the original voice, the interpretation
   * channel, or both with the original lowered. Stored with the attendance (survives reconnects).
   */
  'interpretation:listen': { request: z.object({ speakerPeerId: id, mode: z.enum(listeningModes) }), ack: z.object({ listening: listeningChoicesSchema }) },

  'hand:raise': { request: z.object({ raised: z.boolean() }), ack: empty },
  'chat:send': { request: z.object({ text: text.trim().min(1).max(2000) }), ack: chatMessageSchema },
  'chat:history': { request: empty, ack: z.object({ messages: z.array(chatMessageSchema) }) },
  'stats:report': { request: linkQualitySchema.omit({ at: true }), ack: empty },
  /** The caller's own weak-link controller changed a level (logged, shown to the mediator). */
  'link:event': { request: linkEventSchema, ack: empty },

  // Media (mediasoup signalling). Admitted peers only.
  /**
   * (Re)creates this peer's send and receive transports; old ones are closed. With the loaded
   * device's capabilities, consumers (paused) are announced at once, before this ack: as if
   * media:ready had followed.
   */
  'media:start': { request: z.object({ rtpCapabilities: rtpCapabilitiesSchema.optional() }).strict(), ack: mediaStartSchema },
  /** The device is loaded: its capabilities let the server create consumers (paused). */
  'media:ready': { request: z.object({ rtpCapabilities: rtpCapabilitiesSchema }), ack: empty },
  'media:connect': { request: z.object({ transportId: id, dtlsParameters: mediasoupObject }), ack: empty },
  'media:restart-ice': { request: z.object({ transportId: id }), ack: z.object({ iceParameters: mediasoupObject }) },
  'media:produce': {
    request: z.object({ transportId: id, kind: z.enum(mediaKinds), rtpParameters: mediasoupObject, source: z.enum(mediaSources) }),
    ack: z.object({ producerId: z.string() }),
  },
  'media:producer-close': { request: z.object({ producerId: id }), ack: empty },
  'media:producer-pause': { request: z.object({ producerId: id, paused: z.boolean() }), ack: empty },
  'media:consumer-resume': { request: z.object({ consumerId: id }), ack: empty },
  'media:consumer-pause': { request: z.object({ consumerId: id, paused: z.boolean() }), ack: empty },
  'media:consumer-layers': { request: z.object({ consumerId: id, spatialLayer: z.number().int().min(0).max(2) }), ack: empty },
  'media:audio-only': { request: z.object({ audioOnly: z.boolean() }), ack: empty },
} as const;

export type ClientEventName = keyof typeof clientEvents;
export type ClientRequest<E extends ClientEventName> = z.input<(typeof clientEvents)[E]['request']>;
export type ClientAck<E extends ClientEventName> = z.output<(typeof clientEvents)[E]['ack']>;

/**
 * Why someone's place ended without the mediator deciding it in the room: their invitation was
 * revoked, or they were removed from the case (their page says the link no longer works).
 */
export const accessWithdrawnCauses = ['invitation_revoked', 'participant_removed'] as const;
export type AccessWithdrawnCause = (typeof accessWithdrawnCauses)[number];

export const serverEvents = {
  'room:state': roomStateSchema,
  'attendance:changed': z.object({ state: z.enum(attendanceStates), reason: z.string().optional(), cause: z.enum(accessWithdrawnCauses).optional() }),
  'chat:message': chatMessageSchema,
  'media:consumer-new': consumerParamsSchema,
  'media:consumer-closed': z.object({ consumerId: z.string() }),
  'media:consumer-paused': z.object({ consumerId: z.string(), paused: z.boolean() }),
  /** Host muted or unmuted one of your producers. */
  'media:host-muted': z.object({ kind: z.enum(mediaKinds), muted: z.boolean() }),
  /** Your transports are gone (media worker replaced): call media:start again. */
  'media:reset': z.object({ reason: z.string() }),
  'session:ended': z.object({ reason: z.string() }),
  /**
   * A newer connection of the same person (another tab or device) took this place; sent just
   * before the server disconnects this socket. Do not reconnect: the other one is in use.
   */
  'session:replaced': z.object({ reason: z.string() }),
  /** Co-review: an agreement of this case changed (new version, comment, signature); fetch it. */
  'agreement:updated': z.object({ agreementId: z.string() }),
  /** To a lawyer's staff socket: a consultation on their desk is new or changed; fetch the list. */
  'legal:consultation': z.object({ consultationId: z.string(), status: z.enum(consultationStatuses) }),
} as const;

export type ServerEventName = keyof typeof serverEvents;
export type ServerPayload<E extends ServerEventName> = z.infer<(typeof serverEvents)[E]>;

/** Every ack is either `{ ok: true, data }` or `{ ok: false, error }` with the shared error body. */
export type Ack<T> = { ok: true; data: T } | { ok: false; error: z.infer<typeof errorBodySchema> };

export function ackSchemaOf<T extends z.ZodType>(data: T) {
  return z.discriminatedUnion('ok', [z.object({ ok: z.literal(true), data }), z.object({ ok: z.literal(false), error: errorBodySchema })]);
}

/** socket.io typings derived from the contract. */
export type ClientToServerEvents = {
  [E in ClientEventName]: (request: ClientRequest<E>, ack: (response: Ack<ClientAck<E>>) => void) => void;
};
export type ServerToClientEvents = {
  [E in ServerEventName]: (payload: ServerPayload<E>) => void;
};
