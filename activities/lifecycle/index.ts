/** Every activity of a document's life, bound to the worker's database and PKI. */

import { classifyFailures } from '../failures';
import type { LifecycleDeps } from './context';
import { dispatchActivities } from './dispatch';
import { draftActivities } from './drafts';
import { reviewActivities } from './review';
import { signingActivities } from './signing';

export type { LifecycleDeps } from './context';
export type { NewDraft } from './drafts';

/** Each activity fails at once on input that breaks a rule, instead of retrying forever. */
function classified<T extends Record<string, (...args: never[]) => Promise<unknown>>>(activities: T): T {
  return Object.fromEntries(
    Object.entries(activities).map(([name, fn]) => [
      name,
      (...args: never[]) => classifyFailures(() => fn(...args)),
    ]),
  ) as T;
}

export function lifecycleActivities(deps: LifecycleDeps) {
  return classified({
    ...draftActivities(deps),
    ...reviewActivities(deps),
    ...signingActivities(deps),
    ...dispatchActivities(deps),
  });
}

export type LifecycleActivities = ReturnType<typeof lifecycleActivities>;
