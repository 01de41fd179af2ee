/**
 * What every browser suite sets up alike: the web build, the shared test system, one
 * Chromium, and a browser context per person it opens. After each passing test, none of
 * those people may have met a script error or a request to another origin.
 */
import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { type TestSystem, testSystem } from '../support/system';
import { DESKTOP, launchChromium, newPerson, type Person } from './browser';
import { ensureWebBuilt } from './build-web';

export class BrowserSuite {
  system!: TestSystem;
  browser!: Browser;
  /** Everyone opened so far, in order. */
  readonly people: Person[] = [];

  /** A new person in a browser context of their own, not signed in. */
  async person(viewport: { width: number; height: number } = DESKTOP): Promise<Person> {
    const person = await newPerson(this.browser, this.system.baseUrl, viewport);
    this.people.push(person);
    return person;
  }
}

/** Registers the suite's hooks; call inside `describe`, before the suite's own hooks. */
export function browserSuite(): BrowserSuite {
  const suite = new BrowserSuite();
  before(async function () {
    this.timeout(300_000);
    await ensureWebBuilt();
    suite.system = await testSystem();
    suite.browser = await launchChromium();
  });
  after(async () => {
    for (const person of suite.people) await person.context.close().catch(() => undefined);
    await suite.browser?.close();
  });
  afterEach(function () {
    const problems = suite.people.flatMap((p) => p.problems.splice(0));
    if (this.currentTest?.state === 'passed') expect(problems, problems.join('\n')).to.deep.equal([]);
  });
  return suite;
}

/** dd/mm/yyyy and YYYY-MM of the day `days` from now, in Vietnam. */
export function vietnamDay(days: number): { date: string; period: string } {
  const at = new Date(Date.now() + days * 86_400_000 + 7 * 3_600_000);
  const two = (n: number) => String(n).padStart(2, '0');
  return {
    date: `${two(at.getUTCDate())}/${two(at.getUTCMonth() + 1)}/${at.getUTCFullYear()}`,
    period: `${at.getUTCFullYear()}-${two(at.getUTCMonth() + 1)}`,
  };
}
