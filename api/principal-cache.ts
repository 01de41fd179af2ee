/**
 * The principals of sessions and API tokens, kept between requests. Every request names
 * one, and looking it up cost each request a round trip to PostgreSQL: on an
 * acknowledgment that was a fifth of its time (bench/api.bench.ts).
 *
 * An entry holds the rows a credential was read from, and is dropped as soon as any of
 * them changes. Triggers NOTIFY `vanthu_principals` on commit, naming the person concerned
 * (or `*`; db/migrations/0207-principal-changes.ts), and every connection this cache reads
 * through LISTENs. A change this process makes itself (sign-out, a new password, a revoked
 * token) is dropped by the code that made it before its request answers. The cache holds
 * nothing while no connection listens (one that was lost may have missed a change), and
 * nothing older than a minute.
 */
import type { ClientBase, Notification } from 'pg';
import type { Sequelize } from 'sequelize';
import { onePer } from './one-per';
import { type PreparedQuery, preparedRows } from './prepared';

const PRINCIPALS_CHANNEL = 'vanthu_principals';
const MAX_AGE_MS = 60_000;
const MAX_ENTRIES = 20_000;

interface Entry {
  rows: readonly unknown[];
  person: number;
  storedAt: number;
}

/** What a read saw, and the generation it began in (see store). */
export interface PrincipalRead<R> {
  rows: R[];
  ticket: number;
}

export class PrincipalCache {
  private readonly entries = new Map<string, Entry>();
  private readonly keysOfPerson = new Map<number, Set<string>>();
  /** Moves on with every change heard: a read begun before one may hold what it changed. */
  private generation = 0;
  private readonly listening = new Set<ClientBase>();
  /** Connections this cache has put its handlers on (once each, even if a LISTEN failed). */
  private readonly attached = new WeakSet<ClientBase>();

  get<R>(key: string): readonly R[] | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (Date.now() - entry.storedAt > MAX_AGE_MS) {
      this.drop(key);
      return undefined;
    }
    return entry.rows as readonly R[];
  }

  /** Runs `query` on a pooled connection that listens for changes. */
  async read<R>(
    sequelize: Sequelize,
    query: PreparedQuery,
    values: readonly unknown[],
  ): Promise<PrincipalRead<R>> {
    let ticket = -1;
    const rows = await preparedRows<R>(sequelize, query, values, async (client) => {
      await this.listenOn(client);
      ticket = this.generation;
    });
    return { rows, ticket };
  }

  /** Keeps `rows` under `key` unless something changed since the read that found them. */
  store(key: string, rows: readonly unknown[], person: number, ticket: number): void {
    if (ticket !== this.generation || this.listening.size === 0) return;
    this.drop(key);
    if (this.entries.size >= MAX_ENTRIES) this.drop(this.entries.keys().next().value!);
    this.entries.set(key, { rows, person, storedAt: Date.now() });
    const keys = this.keysOfPerson.get(person) ?? new Set<string>();
    keys.add(key);
    this.keysOfPerson.set(person, keys);
  }

  /** Drops what is held for a person (or for everyone), for a change made or heard of. */
  forget(person: number | '*'): void {
    this.generation += 1;
    if (person === '*') {
      this.entries.clear();
      this.keysOfPerson.clear();
      return;
    }
    for (const key of this.keysOfPerson.get(person) ?? []) this.entries.delete(key);
    this.keysOfPerson.delete(person);
  }

  private drop(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    const keys = this.keysOfPerson.get(entry.person);
    keys?.delete(key);
    if (keys?.size === 0) this.keysOfPerson.delete(entry.person);
  }

  private async listenOn(client: ClientBase): Promise<void> {
    if (this.listening.has(client)) return;
    if (!this.attached.has(client)) {
      this.attached.add(client);
      client.on('notification', (message: Notification) => {
        if (message.channel !== PRINCIPALS_CHANNEL) return;
        const person = Number(message.payload);
        this.forget(Number.isInteger(person) && message.payload !== '' ? person : '*');
      });
      // Any lost connection empties the cache: one gone half-open may have counted as
      // listening after the server it listened on was gone.
      client.once('end', () => {
        this.listening.delete(client);
        this.forget('*');
      });
    }
    await client.query(`LISTEN ${PRINCIPALS_CHANNEL}`);
    this.listening.add(client);
  }
}

/** The cache of principals read through this database. */
export const principalCacheOf = onePer((_: Sequelize) => new PrincipalCache());
