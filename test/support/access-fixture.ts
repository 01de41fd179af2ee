/**
 * The lifecycle half of the access test's fixture: documents of the target district
 * brought to each state through the real api, deliveries to the persona branch, and
 * signatures made with the demo keys, as a USB token would make them.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { QueryTypes } from 'sequelize';
import type {
  AccessFixture,
  FixtureDeliveryState,
  FixtureDocumentState,
  FixtureKey,
  Persona,
} from '../../api/route';
import { DEMO_PASSWORD } from '../../db/seed';
import { periodOf } from '../../domain/reports';
import { withSoftwareSigner } from '../../pki/keys/software';
import type { ApiClient } from './http';
import type { TestSystem } from './system';

type LifecycleFixture = Pick<
  AccessFixture,
  | 'documentAt'
  | 'deliveryAt'
  | 'as'
  | 'certificateOf'
  | 'signWith'
  | 'districtReportRequest'
  | 'documentWithAttachment'
>;

/** The value made for `key`, made on first use. */
function once<K, V>(cache: Map<K, Promise<V>>, key: K, make: (key: K) => Promise<V>): Promise<V> {
  const made = cache.get(key) ?? make(key);
  cache.set(key, made);
  return made;
}

const ORDER: readonly FixtureDocumentState[] = [
  'draft',
  'in_review',
  'approved',
  'signed',
  'dispatched',
  'recalled',
];

export function lifecycleFixture(
  system: TestSystem,
  clients: ReadonlyMap<Persona, ApiClient>,
  units: AccessFixture['units'],
): LifecycleFixture {
  const client = (persona: Persona): ApiClient => {
    const found = clients.get(persona);
    if (!found) throw new Error(`no client for ${persona}`);
    return found;
  };
  const ok = async <T>(what: string, response: Promise<{ status: number; body: T }>): Promise<T> => {
    const { status, body } = await response;
    if (status >= 300) throw new Error(`fixture: ${what}: ${status} ${JSON.stringify(body)}`);
    return body;
  };
  const personIdOf = async (username: string): Promise<number> => {
    const [row] = await system.sequelize.query<{ id: number }>('SELECT id FROM person WHERE username = $1', {
      bind: [username],
      type: QueryTypes.SELECT,
    });
    return row!.id;
  };
  const statusOf = async (id: string): Promise<string> =>
    (await client('clerk.district').get<{ status: string }>(`/api/v1/documents/${id}`)).body.status;
  const waitFor = async (id: string, status: string): Promise<void> => {
    for (let i = 0; i < 300; i++) {
      if ((await statusOf(id)) === status) return;
      await sleep(100);
    }
    throw new Error(`fixture: document ${id} never reached ${status}`);
  };

  async function makeDocument(state: FixtureDocumentState): Promise<{ id: string; etag: string }> {
    const drafter = client('drafter.district');
    const leader = client('leader.district');
    const clerk = client('clerk.district');
    const signer = await personIdOf('bithu.badinh');
    const created = await ok(
      'create',
      drafter.post<{ id: string }>('/api/v1/documents', {
        type: 'TB',
        subject: 'Thông báo của Quận ủy (access test)',
        body: ['Nội dung thông báo.'],
        signer: { personId: signer },
        recipients: [
          { kind: 'units_under', unitId: units.district, unitKind: 'branch' },
          { kind: 'members_under', unitId: units.district },
        ],
      }),
    );
    const id = created.id;
    const reach = (target: FixtureDocumentState) => ORDER.indexOf(state) >= ORDER.indexOf(target);
    if (reach('in_review'))
      await ok('submit', drafter.post(`/api/v1/documents/${id}/submit`, { version: 1 }));
    if (reach('approved')) {
      await ok(
        'approve',
        leader.post(`/api/v1/documents/${id}/decision`, { decision: 'approve', version: 1 }),
      );
    }
    if (reach('signed'))
      await ok('sign', leader.post(`/api/v1/documents/${id}/signature`, { passphrase: DEMO_PASSWORD }));
    if (reach('dispatched')) {
      await ok('issue', clerk.post(`/api/v1/documents/${id}/issue`, { passphrase: DEMO_PASSWORD }));
      await waitFor(id, 'dispatched');
    }
    if (reach('recalled')) {
      await ok('recall', clerk.post(`/api/v1/documents/${id}/recall`, { reason: 'thu hồi để kiểm tra' }));
      await waitFor(id, 'recalled');
    }
    const read = await drafter.get(`/api/v1/documents/${id}`);
    return { id, etag: read.headers.get('etag') ?? '' };
  }

  async function makeDelivery(state: FixtureDeliveryState): Promise<number> {
    const document = await makeDocument(state === 'recalled' ? 'recalled' : 'dispatched');
    const [row] = await system.sequelize.query<{ id: string }>(
      'SELECT id FROM delivery WHERE document_id = $1 AND recipient_unit_id = $2',
      { bind: [document.id, units.branch], type: QueryTypes.SELECT },
    );
    const id = Number(row!.id);
    const secretary = client('secretary.branch');
    if (state === 'received' || state === 'assigned') {
      await ok('receive', secretary.post(`/api/v1/deliveries/${id}/receive`, {}));
    }
    if (state === 'assigned') {
      await ok(
        'assign',
        secretary.post(`/api/v1/deliveries/${id}/assign`, {
          assigneeId: await personIdOf('dangvien.phucxa1.2'),
        }),
      );
    }
    return id;
  }

  const sharedDocuments = new Map<FixtureDocumentState, Promise<{ id: string; etag: string }>>();
  const sharedDeliveries = new Map<FixtureDeliveryState, Promise<number>>();
  let reportRequest: Promise<string> | undefined;
  let attached: Promise<{ id: string; sha256: string }> | undefined;

  const keyRow = async (key: FixtureKey) => {
    const [row] = await system.sequelize.query<{
      encrypted_key: string;
      certificate: Buffer;
      chain: Buffer[];
    }>(
      key === 'leader.district'
        ? `SELECT k.encrypted_key, k.certificate, k.chain FROM signing_key k JOIN person p ON p.id = k.person_id
            WHERE p.username = 'bithu.badinh' AND k.active ORDER BY k.id DESC LIMIT 1`
        : `SELECT encrypted_key, certificate, chain FROM signing_key WHERE unit_id = $1 AND purpose = 'seal' AND active
            ORDER BY id DESC LIMIT 1`,
      { bind: key === 'leader.district' ? [] : [units.district], type: QueryTypes.SELECT },
    );
    if (!row) throw new Error(`fixture: no demo key ${key}`);
    return row;
  };

  return {
    documentAt: (state, shared = false) =>
      shared ? once(sharedDocuments, state, makeDocument) : makeDocument(state),
    deliveryAt: (state, shared = false) =>
      shared ? once(sharedDeliveries, state, makeDelivery) : makeDelivery(state),
    as: async (persona, method, path, body) => {
      const response = await client(persona).send(method.toUpperCase(), `/api/v1${path}`, body);
      return { status: response.status, body: response.body };
    },
    certificateOf: async (key) => {
      const row = await keyRow(key);
      return {
        certificate: row.certificate.toString('base64'),
        chain: row.chain.map((c) => c.toString('base64')),
      };
    },
    signWith: async (key, toBeSigned) => {
      const row = await keyRow(key);
      const value = await withSoftwareSigner(
        { key: row.encrypted_key, passphrase: DEMO_PASSWORD, certificate: row.certificate, chain: row.chain },
        (signer) => signer.sign(Buffer.from(toBeSigned, 'base64')),
      );
      return Buffer.from(value).toString('base64');
    },
    documentWithAttachment: () => {
      attached ??= (async () => {
        const drafter = client('drafter.district');
        const pdf = readFileSync(path.join(__dirname, '..', 'fixtures', 'minimal.pdf'));
        const uploaded = await ok(
          'upload',
          drafter.request<{ sha256: string }>('POST', '/api/v1/attachments', {
            body: pdf,
            headers: { 'content-type': 'application/pdf' },
          }),
        );
        const created = await ok(
          'create with attachment',
          drafter.post<{ id: string }>('/api/v1/documents', {
            type: 'TB',
            subject: 'Thông báo có phụ lục (access test)',
            body: ['Xem phụ lục kèm theo.'],
            attachments: [{ sha256: uploaded.sha256, fileName: 'Phụ lục 1.pdf' }],
          }),
        );
        return { id: created.id, sha256: uploaded.sha256 };
      })();
      return attached;
    },
    districtReportRequest: () => {
      reportRequest ??= ok(
        'report request',
        client('clerk.district').post<{ requestId: string }>('/api/v1/report-requests', {
          requestingUnitId: units.district,
          kind: 'general',
          period: periodOf(new Date()),
          dueAt: new Date(Date.now() + 2 * 86_400_000).toISOString(),
          unitKind: 'branch',
        }),
      ).then((r) => r.requestId);
      return reportRequest;
    },
  };
}
