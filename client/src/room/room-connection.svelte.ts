import type { ClientAck, ClientEventName, ClientRequest, EnterResult, ServerEventName, ServerPayload } from '../../../shared/realtime.ts';
import { ApiError } from '../lib/http.ts';
import { Realtime, WrongNodeError } from '../lib/realtime.ts';
import { afterEnterFailure } from './enter-retry.ts';
import { loadResumeToken, saveResumeToken, type RoomMode } from './resume.ts';

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'ended';
export type EndReason = 'left' | 'refused' | 'removed' | 'session-ended' | 'replaced' | 'revoked' | 'expired' | 'denied';

/** A request on the entered connection. */
export type RoomCall = <E extends ClientEventName>(event: E, payload: ClientRequest<E>, timeoutMs?: number) => Promise<ClientAck<E>>;

export interface ConnectionEvents {
  /** `session:enter` answered (first time, or again after a drop or a server restart). */
  entered(result: EnterResult, reconnect: boolean): void | Promise<void>;
  /** The connection dropped; socket.io (or we) will try again. */
  lost(): void;
  /** The server will not have this person (revoked, expired, refused...): the end. */
  refused(reason: EndReason, error: ApiError): void;
}

/**
 * The socket of one person's session: the handshake (invitation, resume token or staff
 * cookie), `session:enter` on every (re)connection, reconnecting after drops, server restarts
 * and when the phone is back online, and requests that need an entered connection.
 */
export class RoomConnection {
  state = $state<ConnectionState>('connecting');
  readonly rt: Realtime;
  #entered = false;
  #everEntered = false;
  #over = false;
  readonly #unsubscribe: (() => void)[] = [];

  private readonly mode: RoomMode;
  private readonly events: ConnectionEvents;

  constructor(
    mode: RoomMode,
    events: ConnectionEvents,
  ) {
    this.mode = mode;
    this.events = events;
    this.rt = new Realtime(this.#auth());
  }

  get entered(): boolean {
    return this.#entered;
  }

  get everEntered(): boolean {
    return this.#everEntered;
  }

  start(): void {
    const socket = this.rt.socket;
    socket.on('connect', () => void this.#enter());
    socket.on('disconnect', (reason) => this.#onDisconnect(reason));
    socket.on('connect_error', (error: Error & { data?: unknown }) => this.#onConnectError(error));
    addEventListener('online', this.#onOnline);
    this.#unsubscribe.push(() => removeEventListener('online', this.#onOnline));
    this.rt.connect();
  }

  on<E extends ServerEventName>(event: E, handler: (payload: ServerPayload<E>) => void): () => void {
    return this.rt.on(event, handler);
  }

  /** Requests that need an entered connection; fails fast otherwise. */
  readonly call: RoomCall = (event, payload, timeoutMs) => {
    if (!this.#entered) return Promise.reject(new ApiError('NETWORK', `${event}: not connected`));
    return this.rt.request(event, payload, timeoutMs);
  };

  /** No more reconnecting: the session is over for this person (or this page is gone). */
  close(): void {
    this.#over = true;
    this.#entered = false;
    this.state = 'ended';
    for (const off of this.#unsubscribe.splice(0)) off();
    this.rt.close();
  }

  /** The server will disconnect us next (refused, removed): do not come back. */
  markOver(): void {
    this.#over = true;
  }

  /** Media stopped and the socket did not answer: its path is gone, so do not wait for its ping timeout. */
  pathLost(): void {
    if (!this.#over && this.#everEntered) this.rt.replaceConnection();
  }

  /** Back online (the phone found a network again): reconnect now, not at the next backoff step. */
  readonly #onOnline = (): void => {
    if (!this.#over && this.#everEntered) this.rt.reconnectNow();
  };

  #auth() {
    const resumeToken = loadResumeToken(this.mode);
    return {
      ...(this.mode.kind === 'participant' ? { invitationToken: this.mode.invitationToken } : {}),
      ...(resumeToken ? { resumeToken } : {}),
    };
  }

  async #enter(): Promise<void> {
    const resumeToken = loadResumeToken(this.mode);
    const request: ClientRequest<'session:enter'> = {
      ...(this.mode.kind === 'staff' ? { sessionId: this.mode.sessionId } : {}),
      ...(resumeToken ? { resumeToken } : {}),
    };
    let result: EnterResult;
    try {
      result = await this.rt.request('session:enter', request);
    } catch (error) {
      if (error instanceof WrongNodeError) {
        this.#reconnectOn(error.node);
        return;
      }
      const apiError = error instanceof ApiError ? error : null;
      const next = afterEnterFailure(apiError?.code ?? null);
      if (next === 'refused') {
        // Only a coded answer is ever refused (no code means try again).
        if (apiError) this.events.refused(this.#refusalReason(apiError), apiError);
        return;
      }
      // An answer about the moment, not the person: drop this connection and try again.
      this.rt.socket.disconnect();
      setTimeout(() => {
        if (!this.#over) this.rt.connect();
      }, next.retryInMs);
      return;
    }
    if (this.#over) return;
    saveResumeToken(this.mode, result.resumeToken);
    this.rt.setAuth({ ...(this.mode.kind === 'participant' ? { invitationToken: this.mode.invitationToken } : {}), resumeToken: result.resumeToken });
    const reconnect = this.#everEntered;
    this.#entered = true;
    this.#everEntered = true;
    this.state = 'connected';
    await this.events.entered(result, reconnect);
  }

  /**
   * Another node holds the room: reconnect through the proxy to it. Soon when it is a new hint;
   * after half a second when asked again for the same node (it may be dying: once its heartbeat
   * is stale the node answering places the room again, itself if least loaded). That is at most
   * about 8 tries in the 3 s a dead node takes to be noticed, within the socket budget (20/10 s).
   */
  #reconnectOn(node: string | undefined): void {
    const again = node === undefined || node === this.rt.routedTo;
    this.rt.routeTo(node);
    this.rt.socket.disconnect();
    setTimeout(() => {
      if (!this.#over) this.rt.connect();
    }, again ? 500 : 100);
  }

  #onDisconnect(reason: string): void {
    this.#entered = false;
    if (this.#over) return;
    this.state = 'reconnecting';
    this.events.lost();
    if (reason === 'io server disconnect') {
      // The server let go of us (a restart or deploy): socket.io does not retry this by itself.
      // Another tab taking our place is said explicitly first (session:replaced).
      setTimeout(() => {
        if (!this.#over) this.rt.connect();
      }, 1_500);
    }
  }

  #onConnectError(error: Error & { data?: unknown }): void {
    if (this.#over) return;
    if (this.rt.socket.active) {
      // A transport failure: socket.io keeps retrying.
      this.state = this.#everEntered ? 'reconnecting' : 'connecting';
      return;
    }
    // The handshake was refused (expired or revoked invitation, logged out).
    const data = error.data as { code?: ApiError['code']; message?: string } | undefined;
    const refusal = new ApiError(data?.code ?? 'UNAUTHENTICATED', data?.message ?? error.message);
    this.events.refused(this.#refusalReason(refusal), refusal);
  }

  /** Which page explains a refusal to enter: the words a person understands, not the code. */
  #refusalReason(error: ApiError): EndReason {
    if (error.code === 'INVITATION_REVOKED') return 'revoked';
    if (error.code === 'INVITATION_EXPIRED') return 'expired';
    // A participant the mediator refused or removed before, opening the link again.
    if (error.code === 'FORBIDDEN' && this.mode.kind === 'participant') return 'refused';
    if (error.code === 'CONFLICT' && /ended|cancelled/.test(error.message)) return 'session-ended';
    return 'denied';
  }
}
