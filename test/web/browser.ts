/**
 * Headless Chromium (Debian's `chromium`, driven by playwright-core) for the web tests:
 * one browser per suite, a fresh context (cookies, storage) per person, and helpers to
 * sign in through the sign-in page and to save screenshots for the README when
 * VANTHU_SCREENSHOTS names a folder.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { DEMO_PASSWORD } from '../../db/seed';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS, timeout: 30_000 });
}

export const DESKTOP = { width: 1280, height: 900 };
/** A small phone, the narrowest screen the pages are made for. */
export const PHONE = { width: 360, height: 740 };

export interface Person {
  context: BrowserContext;
  page: Page;
  /** Browser errors and failed requests other than the expected ones, to assert none happened. */
  problems: string[];
}

/** A new browser context for one person, its page failing loudly on script errors. */
export async function newPerson(
  browser: Browser,
  baseUrl: string,
  viewport: { width: number; height: number } = DESKTOP,
): Promise<Person> {
  const context = await browser.newContext({
    baseURL: baseUrl,
    viewport,
    locale: 'vi-VN',
    timezoneId: 'Asia/Ho_Chi_Minh',
  });
  context.setDefaultTimeout(20_000);
  // Nothing may leave the machine: any request to another origin fails the test.
  const origin = new URL(baseUrl).origin;
  const problems: string[] = [];
  await context.route(
    (url) => url.origin !== origin && url.protocol !== 'blob:' && url.protocol !== 'data:',
    (route) => {
      problems.push(`request to another origin: ${route.request().url()}`);
      return route.abort();
    },
  );
  const page = await context.newPage();
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    // Refusals the page shows (401 for a signed-out visitor, 400/403 next to a field) are
    // logged by the browser as failed loads; only script errors are problems.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
      problems.push(`console: ${message.text()}`);
    }
  });
  return { context, page, problems };
}

/** Signs in through the sign-in page, as a person would. */
export async function signIn(person: Person, username: string, password = DEMO_PASSWORD): Promise<void> {
  const { page } = person;
  await page.goto('/sign-in');
  await page.getByLabel('Tên đăng nhập').fill(username);
  await page.getByLabel('Mật khẩu').fill(password);
  await page.getByRole('button', { name: 'Đăng nhập', exact: true }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/sign-in'));
  await page.locator('h1').first().waitFor();
}

/** Saves a screenshot for the README when VANTHU_SCREENSHOTS names a folder. */
export async function screenshot(
  page: Page,
  name: string,
  options: { fullPage?: boolean } = {},
): Promise<void> {
  const dir = process.env.VANTHU_SCREENSHOTS;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: options.fullPage ?? false });
}

/** True when nothing on the page is wider than the window (no sideways scrolling). */
export function fitsWidth(page: Page): Promise<boolean> {
  // Evaluated in the page (a string: the tests compile without the DOM library).
  return page.evaluate<boolean>('document.documentElement.scrollWidth <= window.innerWidth');
}

/**
 * Form controls without an accessible name (no <label>, aria-label or aria-labelledby),
 * described by tag and id; an empty list means every control is labelled.
 */
export function unlabelledControls(page: Page): Promise<string[]> {
  return page.evaluate<string[]>(`[...document.querySelectorAll('input, select, textarea, button')]
    .filter((el) => el.type !== 'hidden')
    .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby')
      && !(el.tagName === 'BUTTON' && el.textContent.trim()))
    .map((el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : ''))`);
}
