/**
 * Shared steps of the live-room browser tests: a case with parties, a session and invitation
 * links (made through the API: the staff desk test covers making them by hand), the mediator
 * entering from the desk, participants going through their link's join flow by clicking, and
 * readers of WebRTC statistics through window.__haiqiaoRoom (read only).
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { collectPageErrors, type E2eServer, screenshot } from '../helpers/browser.ts';

export const poll = { timeout: 20_000, interval: 200 };

/**
 * Polls `read` until `done` holds (usable in hooks, unlike expect.poll); the error names what
 * was awaited and the last value seen.
 */
export async function until<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeout = poll.timeout): Promise<T> {
  const deadline = Date.now() + timeout;
  let last: T | undefined;
  for (;;) {
    last = await read();
    if (done(last)) return last;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}; last: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, poll.interval));
  }
}

export interface PartySpec {
  name: string;
  /** A valid resident ID; the person confirms its last four characters. */
  idNumber: string;
}

export interface RoomFixture {
  caseId: string;
  sessionId: string;
  invitations: { name: string; participantId: string; invitationId: string; link: string; last4: string }[];
}

/** Valid resident IDs (check digits computed) for the parties of these tests. */
export const residentIds = ['11010519491231002X', '330327198001011238', '350982197506154564'] as const;

async function login(server: E2eServer): Promise<string> {
  const res = await server.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: server.mediator.username, password: server.mediator.password } });
  if (res.statusCode !== 200) throw new Error(`login failed: ${res.body}`);
  return `hq_session=${res.cookies.find((c) => c.name === 'hq_session')!.value}`;
}

async function post<T = any>(server: E2eServer, cookie: string, url: string, payload: unknown): Promise<T> {
  // The Host header a browser on the desk would send: invitation links are built from it.
  const res = await server.app.inject({ method: 'POST', url, payload: payload as object, headers: { cookie, host: new URL(server.baseUrl).host } });
  if (res.statusCode >= 300) throw new Error(`POST ${url} answered ${res.statusCode}: ${res.body}`);
  return res.json() as T;
}

/** A collision case with one person party per spec, each invited to one session. */
export async function createRoomFixture(server: E2eServer, parties: PartySpec[], title = '浙苍渔01234与闽福鼎货轮碰撞'): Promise<RoomFixture> {
  const cookie = await login(server);
  const created = await post(server, cookie, '/api/cases', {
    title,
    disputeType: 'collision',
    incidentAt: '2026-10-01T03:00:00+08:00',
    seaArea: 'nanji_islands',
    provinces: ['zhejiang', 'fujian'],
    claimedAmountFen: 86_000_000,
    competentCourt: 'ningbo.wenzhou',
    parties: parties.map((p) => ({ kind: 'person', name: p.name, idType: 'resident_id', idNumber: p.idNumber })),
  });
  const session = await post(server, cookie, `/api/cases/${created.id}/sessions`, { title: '第一次调解会议', scheduledAt: new Date(Date.now() + 3_600_000).toISOString() });
  const invitations: RoomFixture['invitations'] = [];
  for (const [index, party] of parties.entries()) {
    const participant = await post(server, cookie, `/api/cases/${created.id}/participants`, { role: 'party', displayName: party.name, partyId: created.parties[index].id });
    const issued = await post(server, cookie, `/api/sessions/${session.id}/invitations`, { participantId: participant.id });
    invitations.push({ name: party.name, participantId: participant.id, invitationId: issued.invitation.id, link: issued.link, last4: party.idNumber.slice(-4) });
  }
  return { caseId: created.id, sessionId: session.id, invitations };
}

/** Another participant (e.g. an interpreter with their language pair) invited to the fixture's session. */
export async function inviteParticipant(server: E2eServer, fixture: RoomFixture, body: Record<string, unknown> & { displayName: string }): Promise<{ name: string; participantId: string; link: string }> {
  const cookie = await login(server);
  const participant = await post(server, cookie, `/api/cases/${fixture.caseId}/participants`, body);
  const issued = await post(server, cookie, `/api/sessions/${fixture.sessionId}/invitations`, { participantId: participant.id });
  return { name: body.displayName, participantId: participant.id, link: issued.link };
}

export interface Person {
  context: BrowserContext;
  page: Page;
  /** Uncaught exceptions in the page. */
  errors: string[];
  /** Console errors and warnings, shown when a test fails. */
  console: string[];
  name: string;
}

/** On failure: a screenshot of each person's page, their last console lines and their media as the page sees it. */
export function reportOnFailure(onTestFailed: (fn: () => Promise<void>) => void, label: string, people: () => (Person | undefined)[]): void {
  onTestFailed(async () => {
    for (const p of people()) {
      if (!p) continue;
      await screenshot(p.page, `${label}-${p.name}`).catch(() => {});
      const lines = [...p.errors, ...p.console].slice(-40);
      const media = await mediaSummary(p.page).catch((error: unknown) => `(no summary: ${String(error)})`);
      console.log(`${label} / ${p.name}: ${media}${lines.length ? `\n${lines.join('\n')}` : ''}`);
    }
  });
}

/** One line: connection, media state, what the page produces and what it consumes from whom. */
function mediaSummary(page: Page): Promise<string> {
  return page.evaluate(() => {
    const room = (window as any).__haiqiaoRoom;
    if (!room) return 'no room';
    const producers = room.producers.map((p: any) => `${p.source}${p.paused ? '(paused)' : ''}`).join(',');
    const consumers = room.consumers.map((c: any) => `${c.kind}:${c.source}<-${String(c.peerId).slice(0, 8)}${c.paused ? '(paused)' : ''}`).join(',');
    return `connection=${room.connection} phase=${room.phase} media=${room.mediaState}${room.audioOnly ? ' audio-only' : ''} peer=${String(room.peerId).slice(0, 8)} send=${room.sendTransport?.connectionState ?? '-'} recv=${room.recvTransport?.connectionState ?? '-'} producing=[${producers}] consuming=[${consumers}]`;
  });
}

const phone = { locale: 'zh-CN', viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true } as const;
const desktop = { locale: 'zh-CN', viewport: { width: 1280, height: 860 } } as const;

/** Console lines worth seeing when a test fails. */
function keepConsole(page: Page, into: string[]): void {
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') into.push(`[${message.type()}] ${message.text()}`);
  });
}

/** What a person's browser lets the page use; with `launchChromium({ prompts: 'deny' })` the rest is refused. */
export type MediaGrant = ('camera' | 'microphone')[];

export async function newPerson(browser: Browser, name: string, kind: 'phone' | 'desktop', grant?: MediaGrant, userAgent?: string): Promise<Person> {
  const context = await browser.newContext({ ...(kind === 'phone' ? phone : desktop), ...(userAgent ? { userAgent } : {}) });
  context.setDefaultTimeout(15_000);
  if (grant?.length) await context.grantPermissions(grant);
  const page = await context.newPage();
  const consoleLines: string[] = [];
  keepConsole(page, consoleLines);
  return { context, page, errors: collectPageErrors(page), name, console: consoleLines };
}

/** The mediator signs in to the desk in their own context and enters the room from the session card. */
export async function mediatorEnters(browser: Browser, server: E2eServer, fixture: RoomFixture, grant?: MediaGrant): Promise<Person> {
  const person = await newPerson(browser, server.mediator.displayName, 'desktop', grant);
  const { page } = person;
  await page.goto(`${server.baseUrl}/login`);
  await page.getByTestId('login-username').fill(server.mediator.username);
  await page.getByTestId('login-password').fill(server.mediator.password);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('current-user').waitFor();
  await page.goto(`${server.baseUrl}/cases/${fixture.caseId}`);
  await page.locator(`[data-testid="session-card"][data-session-id="${fixture.sessionId}"]`).getByTestId('session-enter-room').click();
  await page.getByTestId('room-view').waitFor();
  await page.getByTestId('host-panel').waitFor();
  return person;
}

export interface PartyJoin {
  /** Permissions the phone's browser grants (see MediaGrant). */
  grant?: MediaGrant;
  /** What the device check must come to say about each device (data-status); default 'ok' for both. */
  devices?: { camera: string; microphone: string };
  /** Looks at the finished device check before "continue" is clicked. */
  atDeviceCheck?: (page: Page) => Promise<void>;
  /** Runs in the page before any of its own scripts (to observe browser APIs, never to replace them). */
  initScript?: () => void;
  /** The browser's user agent (e.g. WeChat's in-app browser). */
  userAgent?: string;
  /** Looks at the identity step before it is filled in. */
  atIdentity?: (page: Page) => Promise<void>;
  /** Looks at the join page before "enter" is clicked. */
  beforeEnter?: (page: Page) => Promise<void>;
  /** Runs before the link is opened (e.g. network emulation, which must be set before the page loads). */
  beforeLoad?: (person: Person) => Promise<void>;
  /** How long each step may take (a page loading through a 48 kbit/s link takes minutes). */
  stepTimeoutMs?: number;
}

/**
 * A party opens their link on a phone and goes through the flow by clicking: enter, device
 * check (waits for the network test), identity (name and last four of the ID), then the lobby.
 */
export async function partyToLobby(browser: Browser, invitation: RoomFixture['invitations'][number], join: PartyJoin = {}): Promise<Person> {
  const person = await newPerson(browser, invitation.name, 'phone', join.grant, join.userAgent);
  const { page } = person;
  const devices = join.devices ?? { camera: 'ok', microphone: 'ok' };
  if (join.initScript) await page.addInitScript(join.initScript);
  await join.beforeLoad?.(person);
  await page.goto(invitation.link);
  await join.beforeEnter?.(page);
  await page.getByTestId('join-enter').click();
  await page.getByTestId('device-check').waitFor();
  const step = join.stepTimeoutMs ?? poll.timeout;
  await until('the camera', () => page.getByTestId('camera-status').getAttribute('data-status'), (s) => s === devices.camera, step);
  await until('the microphone', () => page.getByTestId('microphone-status').getAttribute('data-status'), (s) => s === devices.microphone, step);
  await until('the network test', () => page.getByTestId('network-test-result').getAttribute('data-step'), (s) => s === 'done', step);
  await join.atDeviceCheck?.(page);
  await page.getByTestId('device-check-continue').click();
  await page.getByTestId('identity').waitFor();
  await join.atIdentity?.(page);
  await page.getByTestId('identity-name').fill(invitation.name);
  await page.getByTestId('identity-last4').fill(invitation.last4);
  await page.getByTestId('identity-submit').click();
  await page.getByTestId('lobby-waiting').waitFor();
  return person;
}

/** The peer id of someone as the host panel lists them. */
/** The two parties most room tests use: a fisherman and a ship owner, each with an ID number. */
export const fishermanAndOwner: PartySpec[] = [
  { name: '陈阿海', idNumber: residentIds[0] },
  { name: '林船东', idNumber: residentIds[1] },
];

export type Trio = Record<'mediator' | 'fisherman' | 'owner', Person>;

/** Where most room tests start: the mediator in the room, both parties joined and admitted; with each one's peer id. */
export async function mediatorAndPartiesIn(browser: Browser, server: E2eServer, fixture: RoomFixture): Promise<{ people: Trio; ids: Record<keyof Trio, string> }> {
  const mediator = await mediatorEnters(browser, server, fixture);
  const [fisherman, owner] = await Promise.all([partyToLobby(browser, fixture.invitations[0]!), partyToLobby(browser, fixture.invitations[1]!)]);
  const ids = { fisherman: await admit(mediator.page, fisherman), owner: await admit(mediator.page, owner), mediator: await selfPeerId(mediator.page) };
  return { people: { mediator, fisherman, owner }, ids };
}

export async function peerIdIn(hostPage: Page, listTestId: 'host-lobby-list' | 'host-room-list', name: string): Promise<string> {
  const item = hostPage.getByTestId(listTestId).locator('li[data-testid^="host-peer-"]').filter({ hasText: name });
  await item.waitFor({ timeout: poll.timeout });
  return (await item.getAttribute('data-testid'))!.slice('host-peer-'.length);
}

/** The mediator clicks "admit" for a person waiting in the lobby; returns their peer id. */
export async function admit(hostPage: Page, person: Person): Promise<string> {
  const peerId = await peerIdIn(hostPage, 'host-lobby-list', person.name);
  await hostPage.getByTestId(`host-admit-${peerId}`).click();
  await person.page.getByTestId('room-view').waitFor({ timeout: poll.timeout });
  return peerId;
}

export async function selfPeerId(page: Page): Promise<string> {
  return until('the peer id', () => page.evaluate(() => ((window as any).__haiqiaoRoom?.peerId ?? null) as string | null), (id) => id !== null) as Promise<string>;
}

/** What one received track has delivered so far, from its consumer's inbound-rtp statistics. */
export interface InboundCounters {
  consumerId: string;
  peerId: string;
  kind: 'audio' | 'video';
  source: string;
  bytesReceived: number;
  packetsReceived: number;
  framesDecoded: number;
  totalAudioEnergy: number;
  audioLevel: number;
}

/** Every consumer's inbound counters in this page. */
export function inbound(page: Page): Promise<InboundCounters[]> {
  return page.evaluate(async () => {
    const room = (window as any).__haiqiaoRoom;
    if (!room) return [];
    const out = [];
    for (const c of room.consumers) {
      let stats: any = {};
      try {
        (await c.getStats()).forEach((s: any) => {
          if (s.type === 'inbound-rtp') stats = s;
        });
      } catch {
        // closed meanwhile
      }
      out.push({
        consumerId: c.id,
        peerId: c.peerId,
        kind: c.kind,
        source: c.source,
        bytesReceived: stats.bytesReceived ?? 0,
        packetsReceived: stats.packetsReceived ?? 0,
        framesDecoded: stats.framesDecoded ?? 0,
        totalAudioEnergy: stats.totalAudioEnergy ?? 0,
        audioLevel: stats.audioLevel ?? 0,
      });
    }
    return out;
  });
}

export type Flow = { video: boolean; audio: boolean };
/** A flow sample with its raw deltas: audio bytes and video frames decoded between the two reads. */
export type FlowSample = Flow & { audioBytes: number; videoFrames: number };

/**
 * Whether audio and video from `fromPeerId` are arriving in `page` now: two samples `ms`
 * apart; video counts when frames were decoded in between, audio when bytes arrived and the
 * decoded signal carried energy.
 */
export async function flowFrom(page: Page, fromPeerId: string, ms = 1_500): Promise<FlowSample> {
  const pick = (all: InboundCounters[], kind: 'audio' | 'video') => all.find((c) => c.peerId === fromPeerId && c.kind === kind && c.source !== 'screen');
  const before = await inbound(page);
  await page.waitForTimeout(ms);
  const after = await inbound(page);
  const rose = (kind: 'audio' | 'video') => {
    const a = pick(before, kind);
    const b = pick(after, kind);
    if (!a || !b || a.consumerId !== b.consumerId) return false;
    if (kind === 'video') return b.framesDecoded > a.framesDecoded;
    return b.bytesReceived > a.bytesReceived && b.totalAudioEnergy > a.totalAudioEnergy;
  };
  const delta = (kind: 'audio' | 'video', of: (c: InboundCounters) => number) => {
    const a = pick(before, kind);
    const b = pick(after, kind);
    return a && b && a.consumerId === b.consumerId ? of(b) - of(a) : 0;
  };
  return { video: rose('video'), audio: rose('audio'), audioBytes: delta('audio', (c) => c.bytesReceived), videoFrames: delta('video', (c) => c.framesDecoded) };
}

/** Waits until what `page` receives from `fromPeerId` is `what` (by default: audio and video). */
export async function expectFlowing(page: Page, fromPeerId: string, what: Partial<Flow> = { audio: true, video: true }, timeout = poll.timeout): Promise<void> {
  await until(
    `${JSON.stringify(what)} from ${fromPeerId}`,
    () => flowFrom(page, fromPeerId, 1_000),
    (flow) => (what.audio === undefined || flow.audio === what.audio) && (what.video === undefined || flow.video === what.video),
    timeout,
  );
}

/** Bytes of any kind arriving in `page` from `fromPeerId` over `ms`, and how many consumers of theirs it has. */
export async function bytesFrom(page: Page, fromPeerId: string, ms = 2_000): Promise<{ consumers: number; bytes: number }> {
  const theirs = (all: InboundCounters[]) => all.filter((c) => c.peerId === fromPeerId);
  const before = new Map(theirs(await inbound(page)).map((c) => [c.consumerId, c.bytesReceived]));
  await page.waitForTimeout(ms);
  const after = theirs(await inbound(page));
  // A consumer that appeared meanwhile counts from zero: all its bytes arrived in between.
  const bytes = after.reduce((n, c) => n + Math.max(0, c.bytesReceived - (before.get(c.consumerId) ?? 0)), 0);
  return { consumers: after.length, bytes };
}

/** The mediator opens a caucus from the host panel's form; returns its id. */
export async function openCaucus(host: Page, name: string): Promise<string> {
  await host.getByTestId('host-caucus-name').fill(name);
  await host.getByTestId('host-caucus-open').click();
  const item = host.locator('li[data-testid^="host-caucus-"]').filter({ hasText: name });
  await item.waitFor();
  return (await item.getAttribute('data-testid'))!.slice('host-caucus-'.length);
}

/** Which space (joint or a caucus id) a page shows itself in. */
export function spaceOf(page: Page): Promise<string | null> {
  return page.getByTestId('room-view').getAttribute('data-space');
}

export async function closeAll(people: (Person | undefined)[]): Promise<void> {
  await Promise.all(people.map((p) => p?.context.close().catch(() => undefined)));
}

/** The browser-side UDP ports of this page's media transports (what a network cut must hit). */
export function localMediaPorts(page: Page): Promise<number[]> {
  return page.evaluate(async () => {
    const room = (window as any).__haiqiaoRoom;
    const ports = new Set<number>();
    for (const transport of [room?.sendTransport, room?.recvTransport]) {
      if (!transport || transport.closed) continue;
      (await transport.getStats()).forEach((s: any) => {
        if (s.type === 'local-candidate' && s.protocol === 'udp' && typeof s.port === 'number') ports.add(s.port);
      });
    }
    return [...ports];
  });
}

export function connectionOf(page: Page): Promise<string | null> {
  return page.evaluate(() => ((window as any).__haiqiaoRoom?.connection ?? null) as string | null);
}
