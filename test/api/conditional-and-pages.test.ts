/**
 * ETag / If-Match on edits (through webhook subscriptions, the first route that edits
 * with them), the ETag helpers, and cursor pagination: stable order, no repeats or gaps
 * while rows arrive, a bounded limit, and refused cursors.
 */
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { documentEtag, entityEtag, parseEntityTags } from '../../api/etag';
import { decodeCursor, encodeCursor, keysetPage } from '../../api/pagination';
import { ApiClient } from '../support/http';
import { type TestSystem, testSystem } from '../support/system';

interface Subscription {
  id: number;
  url: string;
  version: number;
  events: string[];
}

describe('api: ETag / If-Match and cursor pagination', () => {
  let system: TestSystem;
  let admin: ApiClient;

  before(async function () {
    this.timeout(300_000);
    system = await testSystem();
    admin = await new ApiClient(system.baseUrl).signIn('quantri');
  });

  const subscribe = (marker: string) =>
    admin.post<Subscription>('/api/v1/webhooks', {
      unitId: 2,
      url: 'http://127.0.0.1:9/hook',
      events: ['document.issued'],
      description: marker,
    });

  describe('ETag / If-Match', () => {
    it('makes strong tags that change with the version and never collide across things', () => {
      const a = documentEtag({ id: 'a', version: 1, sha256: 'f'.repeat(64) });
      expect(a).to.match(/^"[A-Za-z0-9_-]{27}"$/);
      expect(documentEtag({ id: 'a', version: 2, sha256: 'f'.repeat(64) })).to.not.equal(a);
      expect(documentEtag({ id: 'a', version: 1, sha256: 'e'.repeat(64) })).to.not.equal(a);
      expect(entityEtag('webhook_subscription', 1, 1)).to.not.equal(entityEtag('api_token', 1, 1));
      expect(parseEntityTags('"x", W/"y" ,*')).to.deep.equal(['"x"', 'W/"y"', '*']);
    });

    it('refuses an edit without If-Match (428) or with a stale one (412), and accepts the current one', async () => {
      const created = await subscribe(`etag ${randomUUID()}`);
      expect(created.status).to.equal(201);
      const tag = created.headers.get('etag')!;
      const read = await admin.get<Subscription>(`/api/v1/webhooks/${created.body.id}`);
      expect(read.headers.get('etag')).to.equal(tag);

      const change = { url: 'http://127.0.0.1:9/changed', events: ['delivery.received'], active: true };
      const missing = await admin.put<{ status: number; field: string }>(
        `/api/v1/webhooks/${created.body.id}`,
        change,
      );
      expect(missing.status).to.equal(428);
      expect(missing.headers.get('content-type')).to.match(/^application\/problem\+json/);
      expect(missing.body.field).to.equal('header.If-Match');

      const weak = await admin.put(`/api/v1/webhooks/${created.body.id}`, change, { 'if-match': `W/${tag}` });
      expect(weak.status).to.equal(412);
      const wrong = await admin.put(`/api/v1/webhooks/${created.body.id}`, change, {
        'if-match': '"not-this-one"',
      });
      expect(wrong.status).to.equal(412);
      expect(wrong.headers.get('etag')).to.equal(tag);

      const edited = await admin.put<Subscription>(`/api/v1/webhooks/${created.body.id}`, change, {
        'if-match': `"other", ${tag}`,
      });
      expect(edited.status).to.equal(200);
      expect(edited.body).to.include({ url: 'http://127.0.0.1:9/changed', version: 2 });
      const newTag = edited.headers.get('etag')!;
      expect(newTag).to.not.equal(tag);

      // The second editor, still holding the first tag, cannot overwrite silently.
      const stale = await admin.put(
        `/api/v1/webhooks/${created.body.id}`,
        { ...change, url: 'http://127.0.0.1:9/lost-update' },
        { 'if-match': tag },
      );
      expect(stale.status).to.equal(412);
      const final = await admin.get<Subscription>(`/api/v1/webhooks/${created.body.id}`);
      expect(final.body.url).to.equal('http://127.0.0.1:9/changed');
      expect(final.headers.get('etag')).to.equal(newTag);
    });
  });

  describe('cursor pagination', () => {
    it('walks every row once in a stable order, even while rows are added', async () => {
      const marker = `page ${randomUUID()}`;
      const mine: number[] = [];
      for (let i = 0; i < 7; i++) mine.push((await subscribe(marker)).body.id);
      const seen: number[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: { status: number; body: { items: Subscription[]; nextCursor: string | null } } =
          await admin.get(`/api/v1/webhooks?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
        expect(page.status).to.equal(200);
        expect(page.body.items.length).to.be.at.most(3);
        seen.push(...page.body.items.map((s) => s.id));
        cursor = page.body.nextCursor;
        pages += 1;
        // Someone subscribes between two pages: it is newer, so it does not disturb the walk.
        if (pages === 1) await subscribe(`${marker} late`);
      } while (cursor);
      expect(new Set(seen).size).to.equal(seen.length);
      expect([...seen].sort((a, b) => b - a)).to.deep.equal(seen);
      for (const id of mine) expect(seen).to.include(id);
    });

    it('orders by several keys in mixed directions', async () => {
      const sql = `SELECT * FROM (VALUES (1, 'b', 10), (1, 'a', 11), (2, 'c', 12), (2, 'd', 13), (3, 'a', 14)) AS v(a, b, id)`;
      const walked: number[] = [];
      let cursor: string | undefined;
      for (;;) {
        const page: { rows: Array<{ id: number }>; nextCursor: string | null } = await keysetPage(
          system.sequelize,
          {
            sql,
            keys: [
              { field: 'a', direction: 'asc' },
              { field: 'b', direction: 'desc' },
            ],
            page: { limit: 2, ...(cursor ? { cursor } : {}) },
          },
        );
        walked.push(...page.rows.map((r) => r.id));
        if (!page.nextCursor) break;
        cursor = page.nextCursor;
      }
      expect(walked).to.deep.equal([10, 11, 13, 12, 14]);
    });

    it('refuses cursors it did not give out and limits out of range', async () => {
      expect(decodeCursor(encodeCursor([5, 'x']), 2)).to.deep.equal([5, 'x']);
      for (const query of [
        'cursor=bm90LWEtY3Vyc29y',
        `cursor=${encodeCursor(['a', 'b', 'c'])}`,
        'cursor=a.b',
        'limit=0',
        'limit=201',
        'limit=x',
      ]) {
        const response = await admin.get<{ field: string }>(`/api/v1/webhooks?${query}`);
        expect(response.status, query).to.equal(400);
        expect(response.body.field, query).to.match(/^query\.(cursor|limit)$/);
      }
    });
  });
});
