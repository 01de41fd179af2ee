/**
 * For changes another process hears of by NOTIFY: they hold within moments, not at the
 * instant the writer commits.
 */
import type { ApiResponse } from './http';

/** Asks until `holds` is true of the answer; a NOTIFY reaches another process in moments, not at once. */
export async function eventually(
  ask: () => Promise<ApiResponse>,
  holds: (response: ApiResponse) => boolean,
  what: string,
): Promise<ApiResponse> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const response = await ask();
    if (holds(response)) return response;
    if (Date.now() > deadline) {
      throw new Error(`${what}: still ${response.status} ${JSON.stringify(response.body)} after 5 s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
