import type { ChatMessage } from '../../../shared/realtime.ts';
import type { RoomCall } from './room-connection.svelte.ts';

/** The chat of the space this person is in (the joint room or their caucus): history, new messages, unread count. */
export class RoomChat {
  messages = $state.raw<ChatMessage[]>([]);
  loaded = $state(false);
  unread = $state(0);
  open = $state(false);

  private readonly call: RoomCall;
  private readonly here: () => { selfPeerId: string | null; space: string };
  private readonly failed: (error: unknown) => void;

  constructor(
    call: RoomCall,
    here: () => { selfPeerId: string | null; space: string },
    failed: (error: unknown) => void,
  ) {
    this.call = call;
    this.here = here;
    this.failed = failed;
  }

  async load(): Promise<void> {
    const { messages } = await this.call('chat:history', {});
    const seen = new Set(messages.map((m) => m.id));
    const { space } = this.here();
    this.messages = [...messages, ...this.messages.filter((m) => !seen.has(m.id) && m.space === space)];
    this.loaded = true;
  }

  setOpen(open: boolean): void {
    this.open = open;
    if (open) {
      this.unread = 0;
      if (!this.loaded) void this.load().catch((error: unknown) => this.failed(error));
    }
  }

  async send(text: string): Promise<void> {
    this.add(await this.call('chat:send', { text }));
  }

  add(message: ChatMessage): void {
    if (this.messages.some((m) => m.id === message.id)) return;
    this.messages = [...this.messages, message];
    if (!this.open && message.peerId !== this.here().selfPeerId) this.unread += 1;
  }

  /** Moved to another space: it has its own chat. */
  changedSpace(): void {
    this.messages = [];
    this.loaded = false;
    if (this.open) void this.load().catch(() => undefined);
  }

  /** Back in the room (after a drop): catch up on what was said meanwhile. */
  catchUp(): void {
    if (this.loaded || this.open) void this.load().catch(() => undefined);
  }
}
