/**
 * The whole agreement chain in one browser test, each person in their own context, against the
 * real server, database and media worker. Only the case, its parties, participants, session and
 * invitations are made through the API. In the browser: the mediator drafts a collision agreement
 * from the template on the staff desk and saves version 1; the fisherman, in the live room on his
 * phone through his invitation link, reads it in the co-review panel and asks for a change; the
 * mediator sees the request and saves version 2, which reaches the fisherman's panel without a
 * reload; the mediator sends it for signing and issues the lawyer's one-time code; the fisherman
 * (name and ID digits, finger) and the company's lawyer (code, mouse) sign on their phones; the
 * platform seals; the mediator downloads the sealed PDF and files for judicial confirmation; the
 * Ningbo Maritime Court's clerk accepts, the judge reviews and confirms with reasons; the ruling
 * is downloaded. Both PDFs are checked with pdfsig and pdftotext.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectPageErrors, type E2eServer, launchChromium, screenshot, startE2eServer } from '../helpers/browser.ts';
import { admit, closeAll, mediatorEnters, partyToLobby, type Person } from './room-support.ts';
import {
  agreementPanel,
  fileForConfirmation,
  fillCollisionDraft,
  issueSigningCode,
  saveFirstVersion,
  saveNextVersion,
  sendForSigning,
  startCollisionDraft,
  waitUntilSealed,
} from './steps/agreement-desk.ts';
import { beijingDate, caseFacts, company, fisherman, setUpCollisionCase, type CollisionCase } from './steps/collision-case.ts';
import { acceptDialogs, type Actor, desktopOptions, downloadFrom, newActor, pdfsig, pdftext, phoneOptions, poll, signInThroughForm } from './steps/common.ts';
import { clerkAccepts, createNingboCourt, judgeConfirms, judgeStartsReview, openFromQueue, type CourtAccount } from './steps/court.ts';
import { signOnPhone } from './steps/phone-signing.ts';
import { askForChange, openAgreementPanel } from './steps/room-agreement.ts';

const changeRequest = '请写明碰撞发生在凌晨3时';
const facts = '乙方所属货轮在南麂列岛海域与甲方渔船发生碰撞，致甲方渔船倾覆、甲方受伤。';
const revisedFacts = '乙方所属货轮于凌晨3时在南麂列岛海域与甲方渔船发生碰撞，致甲方渔船倾覆、甲方受伤。';
const decisionReason = '经审查，双方当事人系自愿达成调解协议，协议内容不违反法律强制性规定。';

describe('the agreement chain in a browser', () => {
  let server: E2eServer;
  let browser: Browser;
  let setup: CollisionCase;
  let court: { clerk: CourtAccount; judge: CourtAccount };
  let dir: string;
  const actors: Actor[] = [];
  const roomPeople: (Person | undefined)[] = [];
  /** Pages opened from another (the fisherman's signing tab), for failure screenshots. */
  const tabs: Page[] = [];

  async function actor(kind: 'phone' | 'desktop'): Promise<Actor> {
    const made = await newActor(browser, kind === 'phone' ? phoneOptions : desktopOptions);
    actors.push(made);
    return made;
  }

  beforeAll(async () => {
    [server, browser] = await Promise.all([startE2eServer({ media: true }), launchChromium()]);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hq-chain-e2e-'));
    court = await createNingboCourt(server);
    setup = await setUpCollisionCase(server);
  }, 240_000);

  afterAll(async () => {
    await closeAll(roomPeople);
    await browser?.close();
    await server?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('drafts, co-reviews, signs on two phones, seals, files, accepts, confirms, and both PDFs verify', async ({ onTestFailed }) => {
    const desk = await actor('desktop');
    onTestFailed(async () => {
      for (const [i, a] of actors.entries()) await screenshot(a.page, `agreement-chain-failure-${i}`).catch(() => {});
      for (const p of roomPeople) if (p) await screenshot(p.page, `agreement-chain-failure-room-${p.name}`).catch(() => {});
      for (const [i, tab] of tabs.entries()) await screenshot(tab, `agreement-chain-failure-tab-${i}`).catch(() => {});
    });
    acceptDialogs(desk.page);

    // --- (1) The mediator drafts from the collision template on the desk and saves version 1.
    await signInThroughForm(desk.page, server.baseUrl, server.mediator, `/cases/${setup.caseId}`);
    const editor = await startCollisionDraft(desk.page);
    expect(await editor.getByTestId('agreement-facts').inputValue()).toBe(caseFacts.description);
    await fillCollisionDraft(editor, {
      facts,
      signingAgentParticipantId: setup.agentParticipantId,
      injured: { name: fisherman.name, medical: '120000', lostIncome: '40000' },
      vesselLoss: '700000',
      obligations: [
        { description: '向甲方支付第一期赔偿款', amount: '500000', due: beijingDate(30) },
        { description: '向甲方支付第二期赔偿款', amount: '360000', due: beijingDate(90) },
      ],
    });
    await expect.poll(() => editor.getByTestId('agreement-preview-text').textContent(), poll).toContain('合计人民币860,000.00元（大写：人民币捌拾陆万元整）');
    const v1 = await saveFirstVersion(desk.page, editor);

    // --- (2) Co-review in the live room: the fisherman joins from his link on a phone.
    const host = await mediatorEnters(browser, server, { caseId: setup.caseId, sessionId: setup.sessionId, invitations: [] });
    roomPeople.push(host);
    const inRoom = await partyToLobby(browser, {
      name: fisherman.name,
      participantId: setup.fishermanParticipantId,
      invitationId: setup.fishermanInvitationId,
      link: setup.linkOf(setup.fishermanToken),
      last4: fisherman.last4,
    });
    roomPeople.push(inRoom);
    await admit(host.page, inRoom);
    await openAgreementPanel(host.page, 1);
    const phone = inRoom.page;
    await openAgreementPanel(phone, 1);
    const roomPanel = phone.getByTestId('agreement-panel');
    expect(await roomPanel.getAttribute('data-agreement-id')).toBe(v1.id);
    expect(await phone.getByTestId('agreement-text').textContent()).toBe(v1.currentVersion.text);
    // A marker that a reload would wipe: version 2 must arrive without one.
    await phone.evaluate(() => Object.assign(window, { __sameDocument: true }));
    await askForChange(phone, changeRequest);

    // The mediator sees the request live in the room's panel, and on the desk.
    await expect.poll(() => host.page.getByTestId('agreement-updated').textContent(), poll).toContain(`${fisherman.name} 请求修改（第 1 版）`);
    expect(await host.page.getByTestId('agreement-comment').textContent()).toContain(changeRequest);
    const panel = agreementPanel(desk.page);
    await panel.getByTestId('agreement-reload').click();
    const request = panel.getByTestId('agreement-comments').getByTestId('agreement-comment');
    await expect.poll(() => request.getAttribute('data-kind'), poll).toBe('change_request');
    expect(await request.innerText()).toContain(fisherman.name);
    expect(await request.innerText()).toContain(changeRequest);

    // Version 2 as asked; it reaches the fisherman's open panel with the changed lines.
    await panel.getByTestId('agreement-edit').click();
    const edit = panel.getByTestId('agreement-editor');
    await edit.getByTestId('agreement-facts').fill(revisedFacts);
    const v2 = await saveNextVersion(desk.page, edit);
    expect(v2.currentVersion.number).toBe(2);
    expect(v2.currentVersion.sha256).not.toBe(v1.currentVersion.sha256);
    await expect.poll(() => roomPanel.getAttribute('data-version'), poll).toBe('2');
    await expect.poll(() => phone.getByTestId('agreement-diff').textContent(), poll).toContain('凌晨3时');
    expect(await phone.getByTestId('agreement-text').textContent()).toBe(v2.currentVersion.text);
    expect(await phone.evaluate(() => (window as { __sameDocument?: boolean }).__sameDocument)).toBe(true);

    // --- (3) Out for signing; the lawyer's one-time code.
    await sendForSigning(desk.page);
    const code = await issueSigningCode(desk.page, setup.companyPartyId, setup.agentParticipantId);

    // The fisherman's panel now offers signing; it opens in its own tab and he leaves the room.
    const signLink = phone.getByTestId('agreement-panel-sign');
    await signLink.waitFor();
    const [signing] = await Promise.all([inRoom.context.waitForEvent('page'), signLink.click()]);
    const signingErrors = collectPageErrors(signing);
    tabs.push(signing);
    // Leaving the room: the fisherman's room tab closes (his signing tab stays), the mediator's room context too.
    await phone.close();
    await host.context.close();
    await signing.waitForURL((url) => url.pathname === `/j/${setup.fishermanToken}/sign/${v1.id}`);
    await signOnPhone(signing, { method: 'id_last4', name: fisherman.name, last4: fisherman.last4 }, 'finger');

    // The lawyer, on his own phone, signs for the company with the code and a mouse.
    const lawyer = await actor('phone');
    await lawyer.page.goto(setup.linkOf(setup.agentToken));
    await expect.poll(() => lawyer.page.getByTestId('join-agreement').textContent(), poll).toContain(`代 ${company.name} 签署`);
    await lawyer.page.getByTestId('join-sign').click();
    await signOnPhone(lawyer.page, { method: 'one_time_code', code }, 'mouse');

    // --- (4) Sealed: the fisherman's page offers the PDF; the mediator downloads it and files.
    await expect.poll(() => signing.getByTestId('sealed-pdf-link').count(), { timeout: 30_000, interval: 250 }).toBe(1);
    await waitUntilSealed(desk.page);
    const sealedFile = await downloadFrom(desk.page, panel.getByTestId('agreement-sealed-pdf'), dir, 'agreement.pdf');
    const confirmationId = await fileForConfirmation(desk.page);

    // --- (5) The clerk of the competent court accepts it from the court desk.
    const clerk = await actor('desktop');
    await signInThroughForm(clerk.page, server.baseUrl, court.clerk, '/', '/court');
    await openFromQueue(clerk.page, confirmationId);
    await clerkAccepts(clerk.page);

    // --- (6) The judge starts the review and confirms with reasons.
    const judge = await actor('desktop');
    const judgeDialogs = acceptDialogs(judge.page);
    await signInThroughForm(judge.page, server.baseUrl, court.judge, '/', '/court');
    await openFromQueue(judge.page, confirmationId);
    expect(await judge.page.getByTestId('agreement-sha256').textContent()).toContain(v2.currentVersion.sha256);
    await judgeStartsReview(judge.page);
    const rulingNumber = await judgeConfirms(judge.page, decisionReason);
    expect(judgeDialogs).toHaveLength(1);

    // --- (7) The ruling, downloaded from the judge's page; the mediator's desk shows it too.
    const rulingFile = await downloadFrom(judge.page, judge.page.getByTestId('ruling-pdf-download'), dir, 'ruling.pdf');
    await panel.getByTestId('agreement-reload').click();
    await expect.poll(() => panel.getByTestId('agreement-confirmation-status').getAttribute('data-status'), poll).toBe('confirmed');
    await panel.getByTestId('agreement-ruling-pdf').waitFor();

    for (const file of [sealedFile, rulingFile]) expect(await pdfsig(file)).toContain('Signature is Valid');
    const sealedText = await pdftext(sealedFile);
    for (const expected of [fisherman.name, company.name, company.lawyer, '人民币捌拾陆万元整', '凌晨3时', v2.currentVersion.sha256]) expect(sealedText).toContain(expected);
    const rulingText = await pdftext(rulingFile);
    for (const expected of ['民事裁定书', rulingNumber, fisherman.name, company.name, decisionReason]) expect(rulingText).toContain(expected);

    await screenshot(judge.page, 'agreement-chain-confirmed');
    expect([...actors.flatMap((a) => a.errors), ...roomPeople.flatMap((p) => p?.errors ?? []), ...signingErrors]).toEqual([]);
  }, 120_000);
});
