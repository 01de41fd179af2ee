/**
 * Coalesces concurrent lookups by key into one query. While a query is in flight, the
 * keys asked for meanwhile wait and go together in the next one, so a busy api makes one
 * round trip to PostgreSQL for many requests and an idle one answers at once (no timer).
 * On this machine a round trip costs more in context switches than in the database
 * itself, which is what made every request's own session lookup the largest cost of an
 * acknowledgment (bench/api.bench.ts).
 */
type Waiter<V> = { resolve: (value: V | undefined) => void; reject: (error: unknown) => void };

export class LookupBatcher<K, V> {
  private waiting = new Map<K, Array<Waiter<V>>>();
  private inFlight = 0;
  private scheduled = false;

  constructor(
    /** Answers for the keys it finds; a key it leaves out is answered undefined. */
    private readonly fetch: (keys: K[]) => Promise<Map<K, V>>,
    private readonly options: { maxInFlight: number; maxKeys: number } = { maxInFlight: 2, maxKeys: 256 },
  ) {}

  get(key: K): Promise<V | undefined> {
    return new Promise((resolve, reject) => {
      const waiters = this.waiting.get(key);
      if (waiters) waiters.push({ resolve, reject });
      else this.waiting.set(key, [{ resolve, reject }]);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.options.maxInFlight || this.waiting.size === 0) return;
    // Keys asked for in the same turn of the event loop go together even when idle.
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.inFlight >= this.options.maxInFlight || this.waiting.size === 0) return;
    const batch = new Map<K, Array<Waiter<V>>>();
    for (const [key, waiters] of this.waiting) {
      if (batch.size >= this.options.maxKeys) break;
      batch.set(key, waiters);
    }
    for (const key of batch.keys()) this.waiting.delete(key);
    this.inFlight += 1;
    this.fetch([...batch.keys()])
      .then(
        (found) => {
          for (const [key, waiters] of batch) for (const w of waiters) w.resolve(found.get(key));
        },
        (error: unknown) => {
          for (const waiters of batch.values()) for (const w of waiters) w.reject(error);
        },
      )
      .finally(() => {
        this.inFlight -= 1;
        this.schedule();
      });
  }
}
