import { type AttendanceState, isPresent } from '../../../shared/domain/attendance.ts';
import type { LanguagePair, ListeningChoices } from '../../../shared/domain/interpretation.ts';
import type { ParticipantRole } from '../../../shared/domain/participants.ts';
import type { SessionStatus } from '../../../shared/domain/sessions.ts';
import type { LinkQuality, LinkState, PeerView, RoomState } from '../../../shared/realtime.ts';
import type { StoredNetworkTest } from '../../db/schema/index.ts';
import type { MediaRoom } from '../../media/media-room.ts';
import type { Recorder } from '../../media/recorder.ts';
import type { AttendanceRow } from './attendance.repository.ts';
import type { CaucusRow, LiveRoomRow } from './room-state.repository.ts';

export const jointSpace = 'joint';

/** A person in a live room; `peerId` is their attendance id. */
export interface RoomPeer {
  peerId: string;
  participantId: string | null;
  staffUserId: string | null;
  displayName: string;
  role: ParticipantRole;
  isHost: boolean;
  state: AttendanceState;
  space: string;
  socketId: string | null;
  /** The invitation the current connection came in with (null: staff login, or a resume token alone). */
  viaInvitationId: string | null;
  handRaised: boolean;
  hostMuted: { audio: boolean; video: boolean };
  audioOnly: boolean;
  canShareScreen: boolean;
  identityVerified: boolean;
  /** An interpreter's two languages (null for anyone else). */
  languagePair: LanguagePair | null;
  /** What this person chose to hear of whom (stored: attendances.listening). */
  listening: ListeningChoices;
  networkTest: StoredNetworkTest | null;
  linkQuality: (LinkQuality & { at: string }) | null;
  /** The person's own weak-link levels and last decision (link:event); null until the first one. */
  link: LinkState | null;
  graceTimer: NodeJS.Timeout | null;
  /** Entries under way for this place (session:enter awaiting the database): its grace period does not end it meanwhile. */
  entering: number;
}

export interface ShownEvidence {
  evidenceId: string;
  fileName: string;
  contentType: string;
  page: number;
  url: string;
}

/** The session's recording while it is running or paused (stopped: null). */
export interface LiveRecording {
  id: string;
  state: 'running' | 'paused';
  /** Who confirmed the notice (attendance ids); anyone else must before sending media. */
  consented: Set<string>;
  /** Set when recording must resume after a restart or a dead worker: the gap to store then. */
  resumeGap: { reason: 'server_restart' | 'worker_died'; from: Date } | null;
  /** Host only: why a track is not recorded (disk full, ffmpeg failed), until recording restarts. */
  problem: string | null;
}

/**
 * The in-memory state of one session's room. Every host decision is in the database first
 * (attendances, live_rooms, room_caucuses; see RoomRecord): this is the working copy one server
 * holds, rebuilt from there after a restart. Only passing things live here alone: connections,
 * raised hands, link quality, the active speaker, the evidence on screen.
 */
export class LiveRoom {
  readonly peers = new Map<string, RoomPeer>();
  readonly caucuses = new Map<string, string>();
  locked = false;
  spotlightPeerId: string | null = null;
  activeSpeakerPeerId: string | null = null;
  evidence: ShownEvidence | null = null;
  media: MediaRoom | null = null;
  recording: LiveRecording | null = null;
  /** Why the server stopped the last recording (host only, until recording starts again). */
  recordingStopped: 'STORAGE_FULL' | null = null;
  /** Caucuses the mediator chose to record (the joint room always is, while recording runs). */
  readonly recordedCaucuses = new Set<string>();
  /** Writes the recording from the current media room (null: not recording now). */
  recorder: Recorder | null = null;
  mediaStarting: Promise<MediaRoom> | null = null;
  /** The session ended: no more views go out for this room. */
  ended = false;

  readonly sessionId: string;
  readonly caseId: string;
  readonly caseNumber: string;
  readonly title: string;
  public status: SessionStatus;

  constructor(
    sessionId: string,
    caseId: string,
    caseNumber: string,
    title: string,
    status: SessionStatus,
  ) {
    this.sessionId = sessionId;
    this.caseId = caseId;
    this.caseNumber = caseNumber;
    this.title = title;
    this.status = status;
  }

  /** The room-wide decisions as stored: open caucuses first, so that people land in theirs. */
  restore(saved: LiveRoomRow | undefined, caucuses: CaucusRow[]) {
    this.caucuses.clear();
    this.recordedCaucuses.clear();
    for (const caucus of caucuses) {
      this.caucuses.set(caucus.id, caucus.name);
      if (caucus.recorded) this.recordedCaucuses.add(caucus.id);
    }
    this.locked = saved?.locked ?? false;
    this.spotlightPeerId = saved?.spotlightAttendanceId ?? null;
  }

  /**
   * The peer of this attendance row, updated in place when the room holds it already: whoever
   * holds the object (an entry under way, a grace timer) sees the current state, never a copy
   * the room has let go of.
   */
  peerFromRow(row: AttendanceRow): RoomPeer {
    const recorded = {
      peerId: row.id,
      participantId: row.participantId,
      staffUserId: row.staffUserId,
      displayName: row.displayName,
      role: row.role,
      isHost: row.isHost,
      state: row.state,
      space: this.caucuses.has(row.space) ? row.space : jointSpace,
      hostMuted: { audio: row.hostMutedAudio, video: row.hostMutedVideo },
      canShareScreen: row.isHost || row.canShareScreen,
      identityVerified: row.identityVerifiedAt !== null,
      languagePair: row.languagePair ?? null,
      listening: row.listening ?? {},
      networkTest: row.networkTest ?? null,
    } satisfies Partial<RoomPeer>;
    const existing = this.peers.get(row.id);
    if (existing) return Object.assign(existing, recorded);
    const peer: RoomPeer = { ...recorded, socketId: null, viaInvitationId: null, handRaised: false, audioOnly: false, linkQuality: null, link: null, graceTimer: null, entering: 0 };
    this.peers.set(row.id, peer);
    return peer;
  }

  /** The spaces recorded while recording runs: the joint room and the caucuses chosen. */
  recordedSpaces(): Set<string> {
    return new Set([jointSpace, ...[...this.recordedCaucuses].filter((id) => this.caucuses.has(id))]);
  }

  /** Recording is on (running or paused) and this person has not confirmed the notice (the host started it). */
  needsRecordingConsent(peer: RoomPeer): boolean {
    return this.recording !== null && !peer.isHost && !this.recording.consented.has(peer.peerId);
  }

  connectedPeers(): RoomPeer[] {
    return [...this.peers.values()].filter((p) => p.socketId !== null);
  }

  admittedIn(space: string): RoomPeer[] {
    return [...this.peers.values()].filter((p) => p.state === 'admitted' && p.space === space);
  }

  /** What one peer may see: the host sees everyone present; others the admitted and themselves. */
  viewFor(viewer: RoomPeer): RoomState {
    const sees = (p: RoomPeer) => {
      if (p.peerId === viewer.peerId) return true;
      if (!isPresent(p.state)) return false;
      if (viewer.isHost) return true;
      return viewer.state === 'admitted' && p.state === 'admitted';
    };
    // Someone not admitted (and not a host) sees only themselves: no need to look at everyone.
    const visible = !viewer.isHost && viewer.state !== 'admitted' ? [viewer] : [...this.peers.values()].filter(sees);
    const admitted = viewer.state === 'admitted';
    return {
      sessionId: this.sessionId,
      sessionStatus: this.status,
      locked: this.locked,
      spotlightPeerId: admitted ? this.spotlightPeerId : null,
      activeSpeakerPeerId: admitted ? this.activeSpeakerPeerId : null,
      // The host manages every caucus; anyone else learns only the name of the one they are in.
      caucuses: [...this.caucuses]
        .filter(([id]) => viewer.isHost || (admitted && viewer.space === id))
        .map(([id, name]) => ({ id, name, ...(viewer.isHost ? { recorded: this.recordedCaucuses.has(id) } : {}) })),
      evidence: admitted && viewer.space === jointSpace ? this.evidence : null,
      recording: this.#recordingFor(viewer),
      ...(viewer.isHost && this.recordingStopped ? { recordingStopped: this.recordingStopped } : {}),
      peers: visible.map((p) => peerView(p, viewer.isHost, p.peerId === viewer.peerId)),
      selfPeerId: viewer.peerId,
    };
  }

  #recordingFor(viewer: RoomPeer): RoomState['recording'] {
    if (!this.recording) return null;
    const { state, problem } = this.recording;
    return {
      state,
      recordedHere: state === 'running' && viewer.state === 'admitted' && this.recordedSpaces().has(viewer.space),
      consentNeeded: this.needsRecordingConsent(viewer),
      ...(viewer.isHost ? { problem } : {}),
    };
  }
}

function peerView(p: RoomPeer, forHost: boolean, isSelf: boolean): PeerView {
  return {
    peerId: p.peerId,
    displayName: p.displayName,
    role: p.role,
    isHost: p.isHost,
    state: p.state,
    space: p.space,
    connected: p.socketId !== null,
    handRaised: p.handRaised,
    hostMuted: p.hostMuted,
    audioOnly: p.audioOnly,
    canShareScreen: p.canShareScreen,
    identityVerified: p.identityVerified,
    ...(p.languagePair ? { languagePair: p.languagePair } : {}),
    // The mediator sees who listens to what; each person sees their own choices, nobody else's.
    ...(forHost || isSelf ? { listening: p.listening } : {}),
    link: p.link ? { send: p.link.send, recv: p.link.recv, ...(forHost ? { last: p.link.last ?? null } : {}) } : null,
    ...(forHost ? { networkTest: p.networkTest, linkQuality: p.linkQuality } : {}),
  };
}
