/**
 * verifyAuditLog against a tampered log. Each case tampers as the database owner would —
 * triggers off (session_replication_role = replica), rows edited, deleted, forged, hashes
 * recomputed — inside a transaction that verifies and is then rolled back, so the shared
 * database stays intact for everyone else. One case runs `vanthu audit verify` against a
 * database of its own, tampered for real, and checks the exit code.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { QueryTypes, type Sequelize, Transaction } from 'sequelize';
import { auditAnchorActivities } from '../../activities/audit-anchor';
import { appendAudit } from '../../db/audit';
import {
  type AuditEventRow,
  type AuditVerification,
  auditFieldsOf,
  auditHeadsDigest,
  type ChainHead,
  verifyAuditLog,
} from '../../db/audit-verify';
import { connectDatabase } from '../../db/connection';
import { migrate } from '../../db/migrate';
import { auditChainFor, auditEntryHash, GENESIS_HASH } from '../../domain/audit-chain';
import { checkTimestampToken } from '../../pki/tsa/token';
import { getPkiFixture } from '../support/pki-fixture';
import { spawnVanthu } from '../support/process';
import { type TestSystem, testSystem } from '../support/system';

class Rollback extends Error {}

/** Appends `count` entries to a chain of their own (a unique chain key); returns the chain. */
async function appendPrivateChain(sequelize: Sequelize, count: number, label: string): Promise<number> {
  const chainKey = `audit-verify-test:${label}:${randomUUID()}`;
  await sequelize.transaction(async (transaction) => {
    await appendAudit(
      sequelize,
      transaction,
      Array.from({ length: count }, (_, i) => ({
        chainKey,
        actorPersonId: null,
        actorUnitId: null,
        source: 'test',
        action: 'test.entry',
        documentId: null,
        versionSha256: null,
        detail: { label, n: i + 1 },
        idempotencyKey: null,
      })),
    );
  });
  return auditChainFor({ chainKey, documentId: null, actorPersonId: null });
}

describe('db/audit-verify: finding and naming tampering', () => {
  let system: TestSystem;
  let chain: number;
  let rows: AuditEventRow[];

  async function chainRows(transaction?: Transaction): Promise<AuditEventRow[]> {
    return system.sequelize.query<AuditEventRow>('SELECT * FROM audit_event WHERE chain = $1 ORDER BY seq', {
      bind: [chain],
      type: QueryTypes.SELECT,
      ...(transaction ? { transaction } : {}),
    });
  }

  /** Tampers inside a snapshot transaction, verifies there, rolls everything back. */
  async function tampered(
    work: (t: Transaction, sql: (text: string, bind?: unknown[]) => Promise<unknown>) => Promise<void>,
  ) {
    let report: AuditVerification | undefined;
    await system.sequelize
      .transaction({ isolationLevel: Transaction.ISOLATION_LEVELS.REPEATABLE_READ }, async (t) => {
        const sql = (text: string, bind: unknown[] = []) =>
          system.sequelize.query(text, { bind, transaction: t });
        await sql('SET LOCAL session_replication_role = replica');
        await work(t, sql);
        report = await verifyAuditLog(system.sequelize, { transaction: t, trust: system.pki.trust });
        throw new Rollback();
      })
      .catch((error: unknown) => {
        if (!(error instanceof Rollback)) throw error;
      });
    return report!;
  }

  const kinds = (report: AuditVerification) => report.findings.map((f) => f.kind).sort();

  before(async function () {
    this.timeout(300_000);
    system = await testSystem();
    // Entries that other suites did not write, in a chain where ours are the last six …
    chain = await appendPrivateChain(system.sequelize, 6, 'main');
    const all = await chainRows();
    rows = all.slice(-6);
    // … then an anchor over every head, timestamped by the deployment's TSA.
    const anchor = await auditAnchorActivities(system.sequelize, system.pki.tsa).anchorAuditChains();
    expect(anchor.anchorId).to.be.a('string');
  });

  it('finds nothing in an untouched log, and checks the anchors against the deployment trust', async () => {
    const report = await verifyAuditLog(system.sequelize, { trust: system.pki.trust });
    expect(report.findings).to.deep.equal([]);
    expect(report.intact).to.equal(true);
    expect(report.entries).to.be.at.least(6);
    expect(report.chains).to.equal(32);
    expect(report.anchors.valid).to.equal(report.anchors.checked);
    expect(report.anchors.trustChecked).to.equal(true);
    expect(report.anchors.latest).to.not.equal(null);
  });

  it('names an entry edited in place', async () => {
    const victim = rows[2]!;
    const report = await tampered(async (_t, sql) => {
      await sql(`UPDATE audit_event SET detail = '{"label":"forged"}' WHERE id = $1`, [victim.id]);
    });
    expect(report.intact).to.equal(false);
    expect(report.findings).to.have.length(1);
    expect(report.findings[0]).to.include({ kind: 'altered', chain, seq: Number(victim.seq), id: victim.id });
  });

  it('names a deleted entry by the seq that is missing', async () => {
    const victim = rows[2]!;
    const next = rows[3]!;
    const report = await tampered(async (_t, sql) => {
      await sql('DELETE FROM audit_event WHERE id = $1', [victim.id]);
    });
    expect(report.findings).to.have.length(1);
    expect(report.findings[0]).to.include({ kind: 'deleted', chain, seq: Number(next.seq), id: next.id });
    expect(report.findings[0]!.detail).to.include(`seq ${victim.seq} deleted`);
  });

  it('finds a deleted tail through the chain head and through the anchor', async () => {
    const last = rows[5]!;
    const report = await tampered(async (_t, sql) => {
      await sql('DELETE FROM audit_event WHERE id = $1', [last.id]);
    });
    expect(kinds(report)).to.deep.equal(['deleted', 'truncated']);
    for (const finding of report.findings) expect(finding).to.include({ chain, seq: Number(last.seq) });
  });

  it('finds a deleted tail whose head was moved back too, through the anchor alone', async () => {
    const last = rows[5]!;
    const before = rows[4]!;
    const report = await tampered(async (_t, sql) => {
      await sql('DELETE FROM audit_event WHERE id = $1', [last.id]);
      await sql('UPDATE audit_chain_head SET seq = $2, hash = $3 WHERE chain = $1', [
        chain,
        before.seq,
        before.hash,
      ]);
    });
    expect(report.findings).to.have.length(1);
    expect(report.findings[0]).to.include({ kind: 'truncated', chain, seq: Number(last.seq) });
  });

  it('names an entry forged beyond the chain head', async () => {
    const last = rows[5]!;
    let forgedId = '';
    const report = await tampered(async (t) => {
      const fields = { ...auditFieldsOf(last, Number(last.seq) + 1), detail: { label: 'forged' } };
      const hash = auditEntryHash(fields, last.hash);
      const [inserted] = await system.sequelize.query<{ id: string }>(
        `INSERT INTO audit_event (chain, seq, at, source, action, detail, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
        {
          bind: [
            chain,
            fields.seq,
            fields.at,
            fields.source,
            fields.action,
            JSON.stringify(fields.detail),
            last.hash,
            hash,
          ],
          type: QueryTypes.SELECT,
          transaction: t,
        },
      );
      forgedId = inserted!.id;
    });
    expect(report.findings).to.have.length(1);
    expect(report.findings[0]).to.include({
      kind: 'inserted',
      chain,
      seq: Number(last.seq) + 1,
      id: forgedId,
    });
  });

  it('names an entry slipped into the middle, and the entries renumbered to make room', async () => {
    const [e1, e2, e3, e4, e5, e6] = rows as [
      AuditEventRow,
      AuditEventRow,
      AuditEventRow,
      AuditEventRow,
      AuditEventRow,
      AuditEventRow,
    ];
    void e1;
    void e2;
    let forgedId = '';
    const report = await tampered(async (t, sql) => {
      const from = Number(e4.seq);
      await sql('UPDATE audit_event SET seq = seq + 1000 WHERE chain = $1 AND seq >= $2', [chain, from]);
      await sql('UPDATE audit_event SET seq = seq - 999 WHERE chain = $1 AND seq >= $2', [
        chain,
        from + 1000,
      ]);
      const fields = { ...auditFieldsOf(e3, from), detail: { label: 'slipped in' } };
      const [inserted] = await system.sequelize.query<{ id: string }>(
        `INSERT INTO audit_event (chain, seq, at, source, action, detail, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
        {
          bind: [
            chain,
            from,
            fields.at,
            fields.source,
            fields.action,
            JSON.stringify(fields.detail),
            e3.hash,
            auditEntryHash(fields, e3.hash),
          ],
          type: QueryTypes.SELECT,
          transaction: t,
        },
      );
      forgedId = inserted!.id;
      await sql('UPDATE audit_chain_head SET seq = seq + 1 WHERE chain = $1', [chain]);
    });
    const inserted = report.findings.filter((f) => f.kind === 'inserted');
    expect(inserted).to.have.length(1);
    expect(inserted[0]).to.include({ chain, seq: Number(e4.seq), id: forgedId });
    const renumbered = report.findings.filter((f) => f.kind === 'altered').map((f) => f.id);
    expect(renumbered).to.deep.equal([e4.id, e5.id, e6.id]);
    expect(report.findings.find((f) => f.id === e4.id)!.detail).to.include(
      `renumbered from seq ${e4.seq} to ${Number(e4.seq) + 1}`,
    );
    // The anchor saw e6 at its old seq; another entry sits there now.
    expect(report.findings.find((f) => f.kind === 'rewritten')).to.include({ chain, seq: Number(e6.seq) });
  });

  it('catches a chain rewritten with every hash and the head recomputed, through the anchor', async () => {
    const report = await tampered(async (t, sql) => {
      const current = await chainRows(t);
      const start = current.findIndex((r) => r.id === rows[1]!.id);
      let prev = start === 0 ? GENESIS_HASH : current[start - 1]!.hash;
      for (const row of current.slice(start)) {
        const fields =
          row.id === rows[1]!.id
            ? { ...auditFieldsOf(row), detail: { label: 'history rewritten' } }
            : auditFieldsOf(row);
        const hash = auditEntryHash(fields, prev);
        await sql('UPDATE audit_event SET detail = $2, prev_hash = $3, hash = $4 WHERE id = $1', [
          row.id,
          JSON.stringify(fields.detail),
          prev,
          hash,
        ]);
        prev = hash;
      }
      await sql('UPDATE audit_chain_head SET hash = $2 WHERE chain = $1', [chain, prev]);
    });
    expect(report.findings).to.have.length(1);
    expect(report.findings[0]).to.include({
      kind: 'rewritten',
      chain,
      seq: Number(rows[5]!.seq),
      id: rows[5]!.id,
    });
  });

  it('refuses an anchor whose digest was changed, and one timestamped by a TSA nobody trusts', async () => {
    const changed = await tampered(async (_t, sql) => {
      await sql(
        `UPDATE audit_anchor SET digest = repeat('a', 64) WHERE id = (SELECT max(id) FROM audit_anchor)`,
      );
    });
    expect(changed.findings.map((f) => f.kind)).to.include('anchor_invalid');

    const stranger = await getPkiFixture();
    const forged = await tampered(async (t, sql) => {
      const heads = (
        await system.sequelize.query<{ chain: number; seq: string; hash: string }>(
          'SELECT chain, seq, hash FROM audit_chain_head ORDER BY chain',
          { type: QueryTypes.SELECT, transaction: t },
        )
      ).map((h): ChainHead => ({ chain: h.chain, seq: Number(h.seq), hash: h.hash }));
      const digest = auditHeadsDigest(heads);
      const token = await stranger.tsa.local.timestamp(new Uint8Array(Buffer.from(digest, 'hex')), 'SHA-256');
      const info = checkTimestampToken(token);
      await sql(
        'INSERT INTO audit_anchor (anchored_at, heads, digest, token, tsa_serial) VALUES ($1, $2, $3, $4, $5)',
        [info.genTime, JSON.stringify(heads), digest, Buffer.from(token), info.serial],
      );
    });
    expect(forged.findings).to.have.length(1);
    expect(forged.findings[0]!.kind).to.equal('anchor_untrusted');
  });

  it('`vanthu audit verify` exits 0 on an intact log and 1 naming the entry once it is tampered', async function () {
    this.timeout(120_000);
    // A database of its own, so the tampering can be committed for the command to see.
    const name = `audit_cli_${randomUUID().replace(/-/g, '')}`;
    await system.sequelize.query(`CREATE DATABASE ${name}`);
    const url = system.databaseUrl.replace(/\/[^/]+$/, `/${name}`);
    const dataDir = mkdtempSync(path.join(tmpdir(), 'vanthu-audit-cli-'));
    // Not openDatabase: that would bind the shared models to this database for everyone.
    const db = connectDatabase({ url });
    try {
      await migrate(db);
      const entryChain = await appendPrivateChain(db, 3, 'cli');
      const env = {
        DATABASE_URL: url,
        VANTHU_DATA_DIR: dataDir,
        VANTHU_PKI_DIR: system.pki.dir,
        LOG_LEVEL: 'error',
      };
      const intact = spawnVanthu(['audit', 'verify'], env);
      expect(await intact.exited(), intact.output()).to.equal(0);
      expect(intact.output()).to.match(/^INTACT: 3 entries in 32 chains/m);

      const [victim] = await db.query<{ id: string; seq: string }>(
        'SELECT id, seq FROM audit_event WHERE chain = $1 ORDER BY seq LIMIT 1 OFFSET 1',
        { bind: [entryChain], type: QueryTypes.SELECT },
      );
      await db.transaction(async (t) => {
        await db.query('SET LOCAL session_replication_role = replica', { transaction: t });
        await db.query(`UPDATE audit_event SET action = 'test.forged' WHERE id = $1`, {
          bind: [victim!.id],
          transaction: t,
        });
      });
      const broken = spawnVanthu(['audit', 'verify'], env);
      expect(await broken.exited(), broken.output()).to.equal(1);
      expect(broken.output()).to.include('NOT INTACT');
      expect(broken.output()).to.match(
        new RegExp(`altered +chain ${entryChain} seq ${victim!.seq} id ${victim!.id}:`),
      );
    } finally {
      await db.close();
      const admin = connectDatabase({ url: system.databaseUrl });
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).finally(() => admin.close());
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
