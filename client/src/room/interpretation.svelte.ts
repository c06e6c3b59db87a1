/**
 * The interpreter channel on the person's side. A listener chooses, per person in their space,
 * the original voice, the interpretation or both (original −12 dB); the choice is stored on the
 * server (interpretation:listen) and comes back in the room view, so it survives reconnects and
 * other devices. An interpreter switches their microphone between the floor (speaking as
 * themselves) and their channel (interpreting): never both at once.
 */
import { hearsInterpretation, type ListeningChoices, type ListeningMode, originalGain, withChoice } from '../../../shared/domain/interpretation.ts';
import type { ClientAck, ClientEventName, ClientRequest, PeerView, RoomState } from '../../../shared/realtime.ts';
import { AudioMixer } from './audio-mixer.svelte.ts';
import type { Feed, MediaSession } from './media-session.svelte.ts';

/** What this needs of the person's room session. */
export interface InterpretationOwner {
  readonly room: RoomState | null;
  readonly self: PeerView | null;
  readonly space: string;
  readonly media: MediaSession;
  readonly micMuted: boolean;
  readonly hostMuted: { audio: boolean };
  call<E extends ClientEventName>(event: E, payload: ClientRequest<E>): Promise<ClientAck<E>>;
  failed(error: unknown): void;
}

export class RoomInterpretation {
  /** The interpreter is speaking into their channel (their floor microphone is paused). */
  interpreting = $state(false);
  /** A choice sent and not yet confirmed by a room view (shown at once). */
  #pending = $state.raw<ListeningChoices | null>(null);
  readonly mixer = new AudioMixer();
  readonly #owner: InterpretationOwner;

  constructor(owner: InterpretationOwner) {
    this.#owner = owner;
  }

  get isInterpreter(): boolean {
    return this.#owner.self?.role === 'interpreter';
  }

  /** Interpreters admitted in the person's space (other than themselves). */
  get interpretersHere(): PeerView[] {
    return this.#here().filter((p) => p.role === 'interpreter');
  }

  /** People whose voice can be interpreted for this person: everyone else here but interpreters. */
  get speakersHere(): PeerView[] {
    return this.interpretersHere.length === 0 ? [] : this.#here().filter((p) => p.role !== 'interpreter');
  }

  get choices(): ListeningChoices {
    return this.#pending ?? this.#owner.self?.listening ?? {};
  }

  modeFor(peerId: string): ListeningMode {
    return this.choices[peerId] ?? 'original';
  }

  async choose(speakerPeerId: string, mode: ListeningMode): Promise<void> {
    this.mixer.resume(); // a tap: the audio context may run from now on
    const before = this.choices;
    this.#pending = withChoice(before, speakerPeerId, mode);
    try {
      const { listening } = await this.#owner.call('interpretation:listen', { speakerPeerId, mode });
      this.#pending = listening;
    } catch (error) {
      this.#pending = before;
      this.#owner.failed(error);
    } finally {
      // From now on the room view (which carries the stored choice) is the truth again.
      queueMicrotask(() => (this.#pending = null));
    }
  }

  /** The gain of one received voice for this person. */
  gainOf(feed: Pick<Feed, 'peerId' | 'source'>): number {
    if (feed.source === 'interpretation') return hearsInterpretation(this.choices, this.#here().map((p) => p.peerId)) ? 1 : 0;
    return originalGain(this.choices, feed.peerId);
  }

  /** Interpreter: into the channel (on) or back to the floor (off). */
  async setInterpreting(on: boolean): Promise<void> {
    const { media, call } = this.#owner;
    const floor = media.producer('microphone');
    try {
      if (on) {
        this.interpreting = true;
        if (floor && !floor.paused) {
          floor.pause();
          await call('media:producer-pause', { producerId: floor.id, paused: true });
        }
        await media.produceInterpretation();
      } else {
        this.interpreting = false;
        await media.closeProducer('interpretation');
        if (floor?.paused && !this.#owner.micMuted && !this.#owner.hostMuted.audio) {
          await call('media:producer-pause', { producerId: floor.id, paused: false });
          floor.resume();
        }
      }
    } catch (error) {
      this.#owner.failed(error);
    }
  }

  /** After a media restart the channel is produced again while the interpreter interprets. */
  keepChannel(): void {
    const { media } = this.#owner;
    if (this.interpreting && media.state === 'ready' && !media.producing.interpretation) void media.produceInterpretation().catch((error: unknown) => this.#owner.failed(error));
  }

  #here(): PeerView[] {
    const { room, self, space } = this.#owner;
    return (room?.peers ?? []).filter((p) => p.state === 'admitted' && p.space === space && p.peerId !== self?.peerId);
  }
}
