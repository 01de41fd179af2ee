/**
 * Drives a document through its life over the real api, as the people of the demo
 * organisation would: drafter, signer, clerk. Used by the tests that start from an
 * issued, dispatched document.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { QueryTypes } from 'sequelize';
import { DEMO_PASSWORD } from '../../db/seed';
import type { RecipientSpec } from '../../domain/recipients';
import { ApiClient } from './http';
import type { TestSystem } from './system';

export interface DocumentState {
  id: string;
  status: string;
  version: number;
  sha256: string;
  number?: string;
}

export async function personId(system: TestSystem, username: string): Promise<number> {
  const [row] = await system.sequelize.query<{ id: number }>('SELECT id FROM person WHERE username = $1', {
    bind: [username],
    type: QueryTypes.SELECT,
  });
  if (!row) throw new Error(`no person ${username}`);
  return row.id;
}

export async function unitId(system: TestSystem, name: string): Promise<number> {
  const [row] = await system.sequelize.query<{ id: number }>('SELECT id FROM org_unit WHERE name = $1', {
    bind: [name],
    type: QueryTypes.SELECT,
  });
  if (!row) throw new Error(`no unit ${name}`);
  return row.id;
}

export async function waitForStatus(
  client: ApiClient,
  id: string,
  status: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const read = await client.get<{ status: string }>(`/api/v1/documents/${id}`);
    last = read.body.status;
    if (last === status) return;
    await sleep(100);
  }
  throw new Error(`document ${id} is ${last}, never reached ${status}`);
}

export function expectOk<T>(response: { status: number; body: T }, what: string): T {
  if (response.status >= 300) throw new Error(`${what}: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

/** Who drafts, signs and issues for a committee of the demo (`tu`, `badinh`, `phucxa`, …). */
export interface Office {
  drafter: ApiClient;
  signer: ApiClient;
  clerk: ApiClient;
  signerId: number;
}

export async function officeOf(system: TestSystem, slug: string): Promise<Office> {
  return {
    drafter: await new ApiClient(system.baseUrl).signIn(`chuyenvien.${slug}`),
    signer: await new ApiClient(system.baseUrl).signIn(`bithu.${slug}`),
    clerk: await new ApiClient(system.baseUrl).signIn(`vanthu.${slug}`),
    signerId: await personId(system, `bithu.${slug}`),
  };
}

/** Draft → approved by the signer → signed → issued → dispatched. Returns the document. */
export async function issueDocument(
  office: Office,
  input: {
    type?: string;
    subject?: string;
    recipients: RecipientSpec[];
    responseDue?: string;
    escalateAfterMinutes?: number;
    replacesDocumentId?: string;
  },
): Promise<DocumentState> {
  const created = expectOk(
    await office.drafter.post<DocumentState>('/api/v1/documents', {
      type: input.type ?? 'TB',
      subject: input.subject ?? 'Thông báo kết luận của Ban Thường vụ',
      body: ['Ban Thường vụ thông báo kết luận như sau.', 'Đề nghị các đơn vị triển khai thực hiện.'],
      recipients: input.recipients,
      signer: { personId: office.signerId },
      ...(input.responseDue ? { responseDue: input.responseDue } : {}),
      ...(input.escalateAfterMinutes ? { escalateAfterMinutes: input.escalateAfterMinutes } : {}),
      ...(input.replacesDocumentId ? { replacesDocumentId: input.replacesDocumentId } : {}),
    }),
    'create',
  );
  const id = created.id;
  expectOk(await office.drafter.post(`/api/v1/documents/${id}/submit`, { version: 1 }), 'submit');
  expectOk(
    await office.signer.post(`/api/v1/documents/${id}/decision`, { decision: 'approve', version: 1 }),
    'approve',
  );
  expectOk(
    await office.signer.post(`/api/v1/documents/${id}/signature`, { passphrase: DEMO_PASSWORD }),
    'sign',
  );
  expectOk(await office.clerk.post(`/api/v1/documents/${id}/issue`, { passphrase: DEMO_PASSWORD }), 'issue');
  await waitForStatus(office.clerk, id, 'dispatched');
  const read = await office.clerk.get<DocumentState>(`/api/v1/documents/${id}`);
  return read.body;
}
