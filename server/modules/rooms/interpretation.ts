import { isPresent } from '../../../shared/domain/attendance.ts';
import { type ListeningChoices, type ListeningMode, maxListeningChoices, withChoice } from '../../../shared/domain/interpretation.ts';
import { forbidden, invalid, notFound } from '../../errors.ts';
import type { LiveRoom, RoomPeer } from './live-room.ts';
import type { RoomContext } from './room-context.ts';
import type { Connection } from './room-types.ts';

/**
 * The interpreter channel's room side. Media isolation needs nothing here: the channel is an
 * audio producer of its interpreter (source `interpretation`), so MediaRoom forwards it only
 * inside the interpreter's space, as any voice (a caucus's interpretation never leaves it).
 * What lives here: who may produce it, and each listener's stored choice of what they hear.
 */
export class Interpretation {
  private readonly ctx: RoomContext;
  /** Choices of one person are applied one after another (each builds on the one before). */
  readonly #queues = new Map<string, Promise<unknown>>();

  constructor(ctx: RoomContext) {
    this.ctx = ctx;
  }

  /** Only an interpreter speaks into an interpretation channel. */
  assertMayProduce(peer: RoomPeer, source: string): void {
    if (source === 'interpretation' && peer.role !== 'interpreter') throw forbidden('only an interpreter speaks into the interpretation channel');
  }

  listen(conn: Connection, { speakerPeerId, mode }: { speakerPeerId: string; mode: ListeningMode }): Promise<{ listening: ListeningChoices }> {
    const { room, peer } = this.ctx.registry.admittedOf(conn);
    if (speakerPeerId === peer.peerId) throw invalid('speakerPeerId', 'choose for someone else, not yourself');
    const speaker = room.peers.get(speakerPeerId);
    if (!speaker || !isPresent(speaker.state)) throw notFound('participant in this room');
    const key = `${room.sessionId}:${peer.peerId}`;
    const run = (this.#queues.get(key) ?? Promise.resolve()).catch(() => undefined).then(() => this.#apply(room, peer, speakerPeerId, mode));
    this.#queues.set(key, run);
    void run.finally(() => {
      if (this.#queues.get(key) === run) this.#queues.delete(key);
    }).catch(() => undefined);
    return run;
  }

  async #apply(room: LiveRoom, peer: RoomPeer, speakerPeerId: string, mode: ListeningMode) {
    // Choices about people who have since left the session are dropped on the way.
    const kept = Object.fromEntries(Object.entries(peer.listening).filter(([id]) => id !== speakerPeerId && room.peers.has(id)));
    const next = withChoice(kept, speakerPeerId, mode);
    if (Object.keys(next).length > maxListeningChoices) throw invalid('speakerPeerId', `at most ${maxListeningChoices} choices`);
    await this.ctx.record.setListening(room, peer, speakerPeerId, mode, next);
    peer.listening = next;
    // The person's own view (their choice restored on any device) and the mediator's panel.
    this.ctx.views.toHosts(room, peer);
    return { listening: next };
  }
}
