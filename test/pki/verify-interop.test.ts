/**
 * verifyPdf with our own CA (the shared PKI fixture) and our own signer (pki/pades): PDFs
 * signed by helper B's signPdf, and by pyHanko with a certificate of our CA, judged by
 * verifyPdf, pdfsig and pyHanko side by side — valid, several signatures, B-LT/B-LTA,
 * tampered; and a certificate revoked at our CA, seen through its OCSP responder.
 * Timestamps pass through derTimestamps(): the fixture TSA's tokens are BER, which pyHanko
 * cannot parse (see that file); verifyPdf itself reads both.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { addDocumentTimestamp, addIssuanceFields, SEAL_FIELD, signPdf } from '../../pki/pades';
import { type VerificationReport, verifyPdf } from '../../pki/verify';
import { makeDocumentPdf, makeHybridPdf } from '../fixtures/pdf/make';
import { derTimestamps } from '../fixtures/verify/der-timestamps';
import { type PyhankoSignature, pdfsig, pyhanko } from '../fixtures/verify/judges';
import { getPkiFixture, type PkiFixture } from '../support/pki-fixture';

describe('verifyPdf with our CA and our signer, beside pdfsig and pyHanko', function () {
  this.timeout(180_000);
  let pki: PkiFixture;
  let nss: string;
  let dir: string;
  let document: Uint8Array;
  const file = (name: string) => path.join(dir, name);
  const save = (name: string, bytes: Uint8Array) => {
    writeFileSync(file(name), bytes);
    return file(name);
  };
  const verify = (bytes: Uint8Array, extra: Partial<Parameters<typeof verifyPdf>[1]> = {}) =>
    verifyPdf(bytes, { trust: pki.trust, fetchRevocation: false, ...extra });
  const judge = async (names: string[], extra: Record<string, unknown> = {}) =>
    (
      (await pyhanko(
        names.map((n) => ['validate', { in: file(n), trust: [pki.root.pemPath], ltv: true, ...extra }]),
      )) as { signatures: PyhankoSignature[] }[]
    ).map((r) => r.signatures);

  /** Our verdicts, signature by signature, equal pyHanko's bottom line. */
  function agree(ours: VerificationReport, theirs: PyhankoSignature[]): void {
    const byField = new Map(theirs.map((t) => [t.field, t]));
    for (const s of ours.signatures) {
      expect(byField.get(s.field)?.bottom_line, `${s.field}: ${byField.get(s.field)?.error ?? ''}`).to.equal(
        s.verdict === 'valid',
      );
    }
    expect(ours.signatures).to.have.length(theirs.length);
  }

  before(async () => {
    pki = await getPkiFixture();
    nss = await pki.nssDb();
    dir = mkdtempSync(path.join(os.tmpdir(), 'vanthu-verify-interop-'));
    document = await makeDocumentPdf();
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('agrees with pdfsig and pyHanko on B-B signatures by signPdf (RSA 2048 and ECDSA P-256)', async () => {
    const rsa = save('bb-rsa.pdf', (await signPdf(document, { signer: pki.signers.rsa.signer })).pdf);
    const ec = save('bb-ec.pdf', (await signPdf(document, { signer: pki.signers.ecdsa.signer })).pdf);
    const judged = await judge(['bb-rsa.pdf', 'bb-ec.pdf']);
    for (const [i, f] of [rsa, ec].entries()) {
      const r = await verify(readFileSync(f));
      expect(r.verdict, f).to.equal('valid');
      expect(r.signatures[0]!.padesLevel).to.equal('B-B');
      expect(r.signatures[0]!.checks.cryptography.key).to.equal(i === 0 ? 'RSA 2048' : 'ECDSA P-256');
      agree(r, judged[i]!);
      const [sig] = await pdfsig(f, nss);
      expect(sig).to.deep.include({
        signature: 'Signature is Valid.',
        certificate: 'Certificate is Trusted.',
      });
    }
  });

  it('agrees on the issuing flow: certification P=2, fill-in with the seal, B-LT, archive timestamp', async () => {
    const prepared = addIssuanceFields(document, {
      number: { page: 0, rect: { x: 60, y: 760, width: 170, height: 20 } },
      date: { page: 0, rect: { x: 320, y: 760, width: 240, height: 20 } },
      seal: { page: 0, rect: { x: 300, y: 120, width: 90, height: 90 } },
    });
    const providers = {
      timestampAuthority: derTimestamps(pki.tsa.local),
      revocationSource: pki.revocation.local,
    };
    const leader = await signPdf(prepared, {
      signer: pki.signers.rsa.signer,
      level: 'B-T',
      certify: 2,
      ...providers,
    });
    const sealed = await signPdf(leader.pdf, {
      signer: pki.signers.seal.signer,
      level: 'B-LT',
      fieldName: SEAL_FIELD,
      fill: { so_ky_hieu: 'Số 12-CT/TU', ngay_ban_hanh: 'Hà Nội, ngày 22 tháng 11 năm 2026' },
      ...providers,
    });
    const archived = await addDocumentTimestamp(sealed.pdf, providers);
    save('issued.pdf', archived);
    const r = await verify(archived);
    expect(r.verdict).to.equal('valid');
    const leaderReport = r.signatures.find((s) => s.certification);
    const seal = r.signatures.find((s) => s.field === SEAL_FIELD);
    expect(leaderReport?.certification).to.deep.equal({ permissions: 2 });
    expect(
      leaderReport?.checks.modifications.changes.filter((c) => c.kind === 'form_fill').length,
    ).to.be.greaterThan(0);
    expect(seal?.padesLevel).to.equal('B-LTA');
    expect(seal?.checks.revocation.state).to.equal('good');
    expect(r.signatures.some((s) => s.kind === 'document_timestamp' && s.verdict === 'valid')).to.equal(true);
    const [theirs] = await judge(['issued.pdf']);
    agree(r, theirs!);
    const checked = (await pdfsig(file('issued.pdf'), nss)).filter(
      (s) => s.signature !== 'Signature has not yet been verified.',
    );
    expect(checked.map((s) => s.signature)).to.deep.equal(['Signature is Valid.', 'Signature is Valid.']);
  });

  it('reaches B-LTA for a single signPdf signature, and reports tampering as pdfsig and pyHanko do', async () => {
    const { pdf, level } = await signPdf(document, {
      signer: pki.signers.ecdsa.signer,
      level: 'B-LTA',
      timestampAuthority: derTimestamps(pki.tsa.local),
      revocationSource: pki.revocation.local,
    });
    expect(level).to.equal('B-LTA');
    save('lta.pdf', pdf);
    const r = await verify(pdf);
    expect(r.verdict).to.equal('valid');
    expect(r.signatures[0]!.padesLevel).to.equal('B-LTA');

    const bb = readFileSync(file('bb-ec.pdf'));
    const flipped = Buffer.from(bb);
    flipped[flipped.indexOf('/MediaBox') + 12]! ^= 0x01;
    save('flipped.pdf', flipped);
    await pyhanko([['modify-page', { in: file('lta.pdf'), out: file('lta-page.pdf') }]]);
    const [flippedJudged, pageJudged, ltaJudged] = await judge(['flipped.pdf', 'lta-page.pdf', 'lta.pdf']);
    agree(r, ltaJudged!);
    expect(ltaJudged![0]!.ltv_trusted).to.equal(true);

    const f = await verify(flipped);
    expect(f.verdict).to.equal('invalid');
    expect(f.signatures[0]!.reasons).to.include('digest_mismatch');
    agree(f, flippedJudged!);
    expect((await pdfsig(file('flipped.pdf'), nss))[0]!.signature).to.equal('Digest Mismatch.');

    const p = await verify(readFileSync(file('lta-page.pdf')));
    expect(p.verdict).to.equal('invalid');
    expect(p.signatures.every((s) => s.reasons.includes('modified'))).to.equal(true);
    agree(p, pageJudged!);
  });

  it('reads hybrid-reference and object-stream files with two signPdf signatures', async () => {
    for (const [name, doc] of [
      ['hybrid', makeHybridPdf()],
      ['objstm', await makeDocumentPdf({ objectStreams: true })],
    ] as const) {
      const first = (await signPdf(doc, { signer: pki.signers.ecdsa.signer })).pdf;
      const second = (await signPdf(first, { signer: pki.signers.rsa.signer, fieldName: 'Second' })).pdf;
      const f = save(`${name}-2.pdf`, second);
      const r = await verify(second);
      expect(r.verdict, name).to.equal('valid');
      expect(r.file.revisions, name).to.equal(3);
      expect(
        r.signatures[0]!.checks.modifications.changes.map((c) => c.kind),
        name,
      ).to.include('signature');
      const theirs = await pdfsig(f, nss);
      expect(
        theirs.map((x) => x.signature),
        name,
      ).to.deep.equal(['Signature is Valid.', 'Signature is Valid.']);
      const [judged] = await judge([`${name}-2.pdf`]);
      agree(r, judged!);
    }
  });

  it('verifies a pyHanko signature made with a key and certificate of our CA', async () => {
    const signer = pki.signers.ecdsa;
    save('doc.pdf', document);
    await pyhanko([
      [
        'sign',
        {
          key: signer.keyPath,
          passphrase: signer.passphrase,
          cert: signer.certPath,
          chain: [pki.issuing.pemPath],
          in: file('doc.pdf'),
          out: file('pyhanko.pdf'),
        },
      ],
    ]);
    const r = await verify(readFileSync(file('pyhanko.pdf')));
    expect(r.verdict).to.equal('valid');
    expect(r.signatures[0]!.signer?.sha256).to.be.a('string');
    const [sig] = await pdfsig(file('pyhanko.pdf'), nss);
    expect(sig).to.deep.include({ signature: 'Signature is Valid.', certificate: 'Certificate is Trusted.' });
  });

  it('sees a certificate revoked at our CA through its OCSP responder', async () => {
    const signer = await pki.issueSigner({ commonName: 'Người Bị Thu Hồi' });
    const { pdf } = await signPdf(document, { signer: signer.signer });
    save('revoked.pdf', pdf);
    const before = await verify(pdf, { revocation: pki.revocation.http, fetchRevocation: true });
    expect(before.verdict).to.equal('valid');
    expect(before.signatures[0]!.checks.revocation.state).to.equal('good');
    await pki.revoke(signer.serial, 'keyCompromise');
    const after = await verify(pdf, { revocation: pki.revocation.http, fetchRevocation: true });
    const s = after.signatures[0]!;
    expect(after.verdict).to.equal('invalid');
    expect(s.reasons).to.deep.equal(['certificate_revoked']);
    expect(s.checks.revocation.certificates[0]).to.include({
      status: 'revoked',
      method: 'ocsp',
      source: 'fetched',
    });
    // The signing time is only claimed, so a revocation after it still counts.
    expect(s.signingTime.basis).to.equal('claimed');
    const [theirs] = await judge(['revoked.pdf'], { fetch: true });
    expect(theirs![0]!.revoked).to.equal(true);
    // Without fetching the document alone says nothing about revocation: unknown, not fatal
    // unless revocation is required.
    const offline = await verify(pdf, { revocation: pki.revocation.http, fetchRevocation: false });
    expect(offline.signatures[0]!.checks.revocation.state).to.equal('unknown');
    const strict = await verify(pdf, { requireRevocation: true });
    expect(strict.verdict).to.equal('indeterminate');
    expect(strict.signatures[0]!.reasons).to.deep.equal(['revocation_unknown']);
  });

  it('judges expired and not-yet-valid certificates of our CA at the signing time', async () => {
    const day = 86_400_000;
    const past = new Date(Date.now() - 400 * day);
    const expired = await pki.issueSigner({
      notBefore: past,
      notAfter: new Date(past.getTime() + 30 * day),
      at: new Date(past.getTime() + day),
    });
    const future = new Date(Date.now() + 30 * day);
    const early = await pki.issueSigner({
      notBefore: future,
      notAfter: new Date(future.getTime() + 30 * day),
      at: new Date(future.getTime() + day),
    });
    const signWith = (s: typeof expired, out: string) =>
      [
        'sign',
        {
          key: s.keyPath,
          passphrase: s.passphrase,
          cert: s.certPath,
          chain: [pki.issuing.pemPath],
          in: file('doc.pdf'),
          out: file(out),
        },
      ] as [string, Record<string, unknown>];
    await pyhanko([signWith(expired, 'expired.pdf'), signWith(early, 'early.pdf')]);
    const e = (await verify(readFileSync(file('expired.pdf')))).signatures[0]!;
    expect(e.verdict).to.equal('invalid');
    expect(e.reasons).to.deep.equal(['certificate_expired']);
    expect(e.checks.certificateValidity.message).to.contain('expired');
    const n = (await verify(readFileSync(file('early.pdf')))).signatures[0]!;
    expect(n.verdict).to.equal('invalid');
    expect(n.reasons).to.deep.equal(['certificate_not_yet_valid']);
    const [je, jn] = await judge(['expired.pdf', 'early.pdf']);
    expect(je![0]!.bottom_line).to.equal(false);
    expect(jn![0]!.bottom_line).to.equal(false);
  });

  it('calls our signatures untrusted when our root is not among the anchors', async () => {
    const r = await verifyPdf(readFileSync(file('bb-ec.pdf')), { trust: [], fetchRevocation: false });
    expect(r.verdict).to.equal('indeterminate');
    expect(r.signatures[0]!.reasons).to.deep.equal(['untrusted']);
  });
});
