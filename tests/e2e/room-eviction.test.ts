/**
 * Access taken away while someone is already in, in the browser: a party in the room whose link
 * the mediator revokes, and a party in the lobby whom the mediator removes from the case, see
 * the revoked page within seconds, and neither the link nor the resume token in their tab gets
 * them back. And a person who opens their link in a second tab: the first tab says it was
 * replaced (the server says so; it is not guessed), while server restarts in a row do not end
 * the session of the tab in use.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type E2eServer, launchChromium, screenshot, startE2eServer } from '../helpers/browser.ts';
import { connected, connectSocket, type TestSocket } from '../helpers/socket-client.ts';
import {
  admit,
  closeAll,
  connectionOf,
  createRoomFixture,
  expectFlowing,
  mediatorEnters,
  partyToLobby,
  peerIdIn,
  type Person,
  poll,
  reportOnFailure,
  residentIds,
  type RoomFixture,
  selfPeerId,
} from './room-support.ts';

describe('revoked links, removed participants and a second tab in the browser', () => {
  let server: E2eServer;
  let browser: Browser;
  let fixture: RoomFixture;
  let mediator: Person;
  const others: Person[] = [];
  const sockets: TestSocket[] = [];

  beforeAll(async () => {
    [server, browser] = await Promise.all([startE2eServer({ media: true }), launchChromium()]);
    fixture = await createRoomFixture(server, [
      { name: '陈阿海', idNumber: residentIds[0] },
      { name: '林船东', idNumber: residentIds[1] },
      { name: '王渔民', idNumber: residentIds[2] },
    ]);
    mediator = await mediatorEnters(browser, server, fixture);
  }, 240_000);

  afterEach(() => {
    for (const s of sockets.splice(0)) s.disconnect();
  });

  afterAll(async () => {
    await closeAll([mediator, ...others]);
    await browser?.close();
    await server?.close();
  });

  const tokenOf = (link: string) => link.split('/j/')[1]!;
  const resumeTokenIn = (page: Page, link: string) => page.evaluate((key) => sessionStorage.getItem(key), `haiqiao.resume.j.${tokenOf(link)}`);
  const hostPanel = () => mediator.page.getByTestId('host-panel').innerText();
  /** How many times this page's session entered (one per socket connection that got in). */
  const entersOf = (page: Page) => page.evaluate(() => ((window as any).__haiqiaoRoom?.requests ?? []).filter((r: { event: string; ackAt: number | null }) => r.event === 'session:enter' && r.ackAt !== null).length as number);

  /**
   * What the server answers a socket that presents only this resume token (a void token: no
   * place to go back to). A void token is refused already at the handshake; that refusal is
   * returned in the shape of an error ack.
   */
  async function enterWithResumeToken(resumeToken: string) {
    const socket = connectSocket(server.baseUrl, { resumeToken });
    sockets.push(socket);
    try {
      await connected(socket);
    } catch (error) {
      const data = (error as { data?: { code?: string } }).data;
      return { ok: false, error: { code: data?.code ?? 'UNKNOWN' } };
    }
    return socket.call('session:enter', { resumeToken });
  }

  /** The revoked page, shown in the room, then again when the link is opened anew. */
  async function expectRevokedPage(person: Person, link: string, withinMs: number): Promise<void> {
    const ended = person.page.getByTestId('room-ended');
    await ended.waitFor({ timeout: withinMs });
    expect(await ended.getAttribute('data-reason')).toBe('revoked');
    expect(await ended.locator('h1').innerText()).toBe('邀请已撤销');
    expect(await ended.innerText()).toContain('请联系');
    await screenshot(person.page, `room-eviction-${person.name}`);
    // Opening the link again (in the same tab, as from the SMS) shows the join page's revoked page.
    await person.page.goto(link);
    const failure = person.page.getByTestId('join-error');
    await failure.waitFor();
    expect(await failure.getAttribute('data-reason')).toBe('revoked');
    expect(await person.page.getByTestId('join-enter').count()).toBe(0);
  }

  it('a party in the room whose link the mediator revokes sees the revoked page within seconds, and cannot get back in', async ({ onTestFailed }) => {
    const invitation = fixture.invitations[0]!;
    const fisherman = await partyToLobby(browser, invitation);
    others.push(fisherman);
    reportOnFailure(onTestFailed, 'room-eviction-revoked', () => [fisherman, mediator]);
    const peerId = await admit(mediator.page, fisherman);
    await expectFlowing(mediator.page, peerId);
    const resumeToken = await resumeTokenIn(fisherman.page, invitation.link);
    expect(resumeToken).toBeTruthy();

    // The mediator revokes the link from the desk (same API the case page calls).
    const revokedAt = Date.now();
    const res = await mediator.page.request.post(`${server.baseUrl}/api/invitations/${invitation.invitationId}/revoke`);
    expect(res.status()).toBe(200);
    await fisherman.page.getByTestId('room-ended').waitFor({ timeout: 5_000 });
    console.log(`revoked page shown ${Date.now() - revokedAt} ms after the revocation`);
    // Gone from the room for everyone, and from the server's room.
    await expect.poll(hostPanel, poll).not.toContain(fisherman.name);
    expect(server.app.rooms.roomOf(fixture.sessionId)!.peers.has(peerId)).toBe(false);
    expect(server.app.rooms.roomOf(fixture.sessionId)!.media!.hasPeer(peerId)).toBe(false);
    // The page forgot its resume token, and the server no longer honours it anyway.
    expect(await resumeTokenIn(fisherman.page, invitation.link)).toBeNull();
    expect(await enterWithResumeToken(resumeToken!)).toMatchObject({ ok: false, error: { code: 'UNAUTHENTICATED' } });
    await expectRevokedPage(fisherman, invitation.link, 1_000);
    expect(fisherman.errors).toEqual([]);
  }, 90_000);

  it('a party waiting in the lobby whom the mediator removes from the case sees the revoked page at once', async ({ onTestFailed }) => {
    const invitation = fixture.invitations[1]!;
    const owner = await partyToLobby(browser, invitation);
    others.push(owner);
    reportOnFailure(onTestFailed, 'room-eviction-removed', () => [owner, mediator]);
    await peerIdIn(mediator.page, 'host-lobby-list', owner.name);
    const resumeToken = await resumeTokenIn(owner.page, invitation.link);

    const res = await mediator.page.request.delete(`${server.baseUrl}/api/cases/${fixture.caseId}/participants/${invitation.participantId}`);
    expect(res.status()).toBe(204);
    await expectRevokedPage(owner, invitation.link, 5_000);
    await expect.poll(hostPanel, poll).not.toContain(owner.name);
    expect(await enterWithResumeToken(resumeToken!)).toMatchObject({ ok: false, error: { code: 'UNAUTHENTICATED' } });
    expect(owner.errors).toEqual([]);
  }, 90_000);

  it('the same link opened in a second tab ends the first with the replaced page; two server restarts in a row do not', async ({ onTestFailed }) => {
    const invitation = fixture.invitations[2]!;
    const first = await partyToLobby(browser, invitation);
    others.push(first);
    const second: Person = { ...first, page: await first.context.newPage(), errors: [], console: [], name: `${first.name}-tab2` };
    second.page.on('pageerror', (error) => second.errors.push(error.message));
    reportOnFailure(onTestFailed, 'room-eviction-replaced', () => [first, second, mediator]);
    const peerId = await admit(mediator.page, first);
    const mediatorId = await selfPeerId(mediator.page);
    onTestFailed(() => {
      const media = server.app.rooms.roomOf(fixture.sessionId)?.media;
      console.log('server:', JSON.stringify({ mediator: media?.producersOf(mediatorId).map((p) => `${p.source}${p.paused ? '(paused)' : ''}`), forwardedTo: media?.consumedProducerPeers(peerId) }));
    });
    await expectFlowing(first.page, mediatorId);

    // The second tab: no resume token of its own (sessionStorage is per tab), straight back into the room.
    await second.page.goto(invitation.link);
    await second.page.getByTestId('join-enter').click();
    await second.page.getByTestId('room-view').waitFor({ timeout: poll.timeout });
    const replaced = first.page.getByTestId('room-ended');
    await replaced.waitFor({ timeout: 5_000 });
    expect(await replaced.getAttribute('data-reason')).toBe('replaced');
    expect(await first.page.getByTestId('room-rejoin').count()).toBe(1); // "use it here instead" is offered
    expect(await selfPeerId(second.page)).toBe(peerId); // the same place, not a second person
    await expectFlowing(second.page, mediatorId);
    await expectFlowing(mediator.page, peerId);
    // The first tab was told and stopped: it did not come back and push the second one out
    // (the second tab entered once and was never let go).
    expect(await entersOf(second.page)).toBe(1);
    expect(await entersOf(first.page)).toBe(1);

    // Two deploys in quick succession, then the server letting go of every socket twice (as a
    // draining node does): the tab in use comes back each time and stays in the room.
    for (const round of [1, 2]) {
      await server.restart();
      await expect.poll(() => connectionOf(second.page), { timeout: 30_000, interval: 200 }).toBe('connected');
      await expect.poll(() => connectionOf(mediator.page), { timeout: 30_000, interval: 200 }).toBe('connected');
      expect(await second.page.getByTestId('room-ended').count(), `after restart ${round}`).toBe(0);
    }
    for (const round of [1, 2]) {
      const enters = await entersOf(second.page);
      server.app.io.disconnectSockets(); // a DISCONNECT packet to each: 'io server disconnect' in the browser
      await expect.poll(() => entersOf(second.page), { timeout: 30_000, interval: 200 }).toBe(enters + 1);
      await expect.poll(() => connectionOf(second.page), { timeout: 30_000, interval: 200 }).toBe('connected');
      expect(await second.page.getByTestId('room-ended').count(), `after being let go ${round}`).toBe(0);
    }
    await expectFlowing(second.page, mediatorId, { audio: true, video: true }, 30_000);
    await expectFlowing(mediator.page, peerId, { audio: true, video: true }, 30_000);
    expect(await second.page.getByTestId('room-view').count()).toBe(1);
    // The replaced tab stayed replaced: it did not come back and take the place again.
    expect(await replaced.getAttribute('data-reason')).toBe('replaced');
    expect([...first.errors, ...second.errors]).toEqual([]);
  }, 150_000);
});
