/**
 * Steps the browser tests of the staff desk, court desk and agreement chain take: waiting for the
 * answer to a click, signing in through the login form, phone and desk contexts, accepting
 * confirm() prompts, filling a date in Beijing time, and downloading a PDF from the page to check
 * it with poppler (pdfsig, pdftotext).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Browser, BrowserContext, BrowserContextOptions, Locator, Page, Response } from 'playwright-core';
import { collectPageErrors, type E2eServer } from '../../helpers/browser.ts';
import { login, type TestWorld } from '../../helpers/test-app.ts';

const run = promisify(execFile);

export const poll = { timeout: 15_000, interval: 100 };

/** A datetime-local value in Beijing time, `days` from now. */
export function beijingInput(days: number, time: string): string {
  const day = new Date(Date.now() + 8 * 3_600_000 + days * 86_400_000).toISOString().slice(0, 10);
  return `${day}T${time}`;
}

/** A 360×740 phone with touch, downloads allowed. */
export const phoneOptions = { locale: 'zh-CN', viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, acceptDownloads: true } as const;
/** A desk computer, downloads allowed. */
export const desktopOptions = { locale: 'zh-CN', viewport: { width: 1280, height: 900 }, acceptDownloads: true } as const;

export interface Actor {
  context: BrowserContext;
  page: Page;
  /** Uncaught exceptions in `page` (see collectPageErrors). */
  errors: string[];
}

/** A new context (phone or desk) with one page whose page errors are collected. */
export async function newActor(browser: Browser, options: BrowserContextOptions, init?: () => void): Promise<Actor> {
  const context = await browser.newContext(options);
  context.setDefaultTimeout(15_000);
  if (init) await context.addInitScript(init);
  const page = await context.newPage();
  return { context, page, errors: collectPageErrors(page) };
}

/** Accepts every confirm() the page asks, keeping the messages. */
export function acceptDialogs(page: Page): string[] {
  const messages: string[] = [];
  page.on('dialog', (dialog) => {
    messages.push(dialog.message());
    void dialog.accept();
  });
  return messages;
}

/** Runs `action` and returns the answer to the first request matching method and path. */
export async function answerTo(page: Page, method: string, pathname: RegExp, action: () => Promise<unknown>): Promise<Response> {
  const [response] = await Promise.all([page.waitForResponse((r) => r.request().method() === method && pathname.test(new URL(r.url()).pathname)), action()]);
  return response;
}

export async function expectStatus(response: Response, status: number): Promise<void> {
  if (response.status() !== status) throw new Error(`${response.request().method()} ${response.url()} answered ${response.status()}: ${await response.text()}`);
}

/** Clicks, checks the answer's status and returns its JSON body. */
export async function clickFor<T = any>(page: Page, target: Locator, method: string, pathname: RegExp, status: number): Promise<T> {
  const response = await answerTo(page, method, pathname, () => target.click());
  await expectStatus(response, status);
  return (await response.json()) as T;
}

/**
 * Opens `next` with no session, is sent to the login form, signs in there and lands on
 * `landing` (by default `next` itself; court staff land on the court desk).
 */
export async function signInThroughForm(page: Page, baseUrl: string, account: { username: string; password: string }, next = '/', landing = next): Promise<void> {
  await page.goto(`${baseUrl}${next}`);
  await page.waitForURL((url) => url.pathname === '/login');
  await page.getByTestId('login-username').fill(account.username);
  await page.getByTestId('login-password').fill(account.password);
  await expectStatus(await answerTo(page, 'POST', /^\/api\/auth\/login$/, () => page.getByTestId('login-submit').click()), 200);
  await page.waitForURL((url) => url.pathname === landing);
}

/** Clicks a download link and returns the path of the saved file (in `dir`, as `name`). */
export async function downloadFrom(page: Page, link: Locator, dir: string, name: string): Promise<string> {
  const [file] = await Promise.all([page.waitForEvent('download'), link.click()]);
  const target = path.join(dir, name);
  await file.saveAs(target);
  if (fs.readFileSync(target).subarray(0, 5).toString('latin1') !== '%PDF-') throw new Error(`${name} is not a PDF`);
  return target;
}

/** pdfsig's report on a file (also when it exits non-zero, as it does for a broken signature). */
export async function pdfsig(file: string): Promise<string> {
  const result = await run('pdfsig', [file]).catch((error: { stdout?: string; stderr?: string }) => ({ stdout: `${error.stdout ?? ''}${error.stderr ?? ''}` }));
  return result.stdout;
}

/** The PDF's text with all white space removed (CJK lines break anywhere). */
export async function pdftext(file: string): Promise<string> {
  return (await run('pdftotext', ['-enc', 'UTF-8', file, '-'], { maxBuffer: 20e6 })).stdout.replace(/\s+/g, '');
}

/**
 * The agreement fixtures (tests/helpers/agreement-fixture.ts) on an e2e server: they need only the
 * app and the mediator's session, logged in here from `address` (each file its own, so login rate
 * limits never meet).
 */
export async function mediatorWorld(server: E2eServer, address: string): Promise<TestWorld & { mediatorCookie: string }> {
  const mediatorCookie = await login(server.app, server.mediator.username, server.mediator.password, address);
  return Object.assign({ app: server.app, cookies: { mediator: mediatorCookie } } as unknown as TestWorld, { mediatorCookie });
}
