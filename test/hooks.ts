/**
 * Mocha root hooks. Real services (PostgreSQL, Temporal) are started lazily by the suites
 * that need them (see test/support/), and stopped once here after the whole run.
 */
const stoppers: Array<() => Promise<void>> = [];

export function onRunEnd(stop: () => Promise<void>): void {
  stoppers.push(stop);
}

export const mochaHooks = {
  async afterAll(): Promise<void> {
    for (const stop of stoppers.reverse()) await stop();
  },
};
