/**
 * The "other tool" direction: PDFs signed by pyHanko with certificates of a CA made by the
 * openssl command line (no code of ours involved in producing them) are verified by
 * verifyPdf, and our verdicts are compared with pyHanko's own validation and with pdfsig.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { type SignatureReport, type VerificationReport, verifyPdf } from '../../pki/verify';
import { type PyhankoSignature, pdfsig, pyhanko, pyhankoValidate } from '../fixtures/verify/judges';
import { makePdf } from '../fixtures/verify/make-pdf';
import { createOpensslCa, type Issued, type OpensslCa } from '../fixtures/verify/openssl-ca';

describe('verifyPdf on PDFs signed by pyHanko (certificates from openssl)', function () {
  this.timeout(120_000);
  let ca: OpensslCa;
  let trust: string[];
  const file = (name: string) => path.join(ca.dir, name);
  const verify = async (name: string, extra: Partial<Parameters<typeof verifyPdf>[1]> = {}) =>
    verifyPdf(readFileSync(file(name)), { trust, fetchRevocation: false, ...extra });
  const judged = new Map<string, PyhankoSignature[]>();

  before(async () => {
    ca = createOpensslCa();
    trust = [readFileSync(ca.root.cert, 'utf8')];
    writeFileSync(file('form.pdf'), await makePdf({ fields: ['so_ky_hieu', 'ngay_ban_hanh'] }));
    writeFileSync(file('xrefstream.pdf'), await makePdf({ objectStreams: true }));
    const ocsps = [ca.ocspResponse(ca.signerEc), ca.ocspResponse(ca.signerRsa), ca.ocspResponse(ca.tsa)];
    const tsa = { cert: ca.tsa.cert, key: ca.tsa.key, chain: [ca.intermediate.cert] };
    const by = (who: Issued, chain = [ca.intermediate.cert]) => ({ key: who.key, cert: who.cert, chain });
    const lt = { trust: [ca.root.cert], crls: ca.crls, ocsps, tsa };
    await pyhanko([
      ['sign', { ...by(ca.signerEc), in: file('form.pdf'), out: file('bb-ec.pdf') }],
      ['sign', { ...by(ca.signerRsa), in: file('form.pdf'), out: file('adobe-rsa.pdf'), subfilter: 'adobe' }],
      [
        'sign',
        { ...by(ca.signerEc), in: file('xrefstream.pdf'), out: file('bt-xrefstream.pdf'), level: 'B-T', tsa },
      ],
      [
        'sign',
        { ...by(ca.signerEc), ...lt, in: file('form.pdf'), out: file('lta.pdf'), level: 'B-LTA', certify: 2 },
      ],
      ['fill', { in: file('lta.pdf'), out: file('lta-filled.pdf'), values: { so_ky_hieu: '12-CT/TU' } }],
      [
        'sign',
        {
          ...by(ca.signerRsa),
          ...lt,
          in: file('lta-filled.pdf'),
          out: file('sealed.pdf'),
          level: 'B-LT',
          field: 'Seal',
        },
      ],
      ['modify-page', { in: file('bb-ec.pdf'), out: file('page-changed.pdf') }],
      ['add-annotation', { in: file('bb-ec.pdf'), out: file('annotated.pdf') }],
      ['sign', { ...by(ca.signerEc), in: file('form.pdf'), out: file('p1.pdf'), certify: 1 }],
      ['fill', { in: file('p1.pdf'), out: file('p1-filled.pdf'), values: { so_ky_hieu: '14-CT/TU' } }],
      ['sign', { ...by(ca.signerEc), in: file('form.pdf'), out: file('locked.pdf'), lock: ['so_ky_hieu'] }],
      [
        'fill',
        { in: file('locked.pdf'), out: file('locked-filled.pdf'), values: { so_ky_hieu: '13-CT/TU' } },
      ],
      [
        'fill',
        { in: file('locked.pdf'), out: file('unlocked-filled.pdf'), values: { ngay_ban_hanh: '22/11/2026' } },
      ],
      ['sign', { ...by(ca.expired), in: file('form.pdf'), out: file('expired.pdf') }],
      ['sign', { ...by(ca.notYetValid), in: file('form.pdf'), out: file('future.pdf') }],
      ['sign', { ...by(ca.revoked), in: file('form.pdf'), out: file('revoked.pdf') }],
      ['sign', { ...by(ca.otherSigner, []), in: file('form.pdf'), out: file('untrusted.pdf') }],
      ['doc-timestamp', { in: file('form.pdf'), out: file('doc-ts.pdf'), tsa }],
      ['sign', { ...by(ca.signerRsa), in: file('form.pdf'), out: file('pss.pdf'), pss: true }],
      ['sign', { ...by(ca.weakRsa), in: file('form.pdf'), out: file('weak-rsa.pdf') }],
      ['sign', { ...by(ca.signerEc), in: file('form.pdf'), out: file('sha1.pdf'), md: 'sha1' }],
    ]);
    const flipped = readFileSync(file('bb-ec.pdf'));
    const mediaBox = flipped.indexOf('/MediaBox');
    expect(mediaBox).to.be.greaterThan(0);
    flipped[flipped.indexOf('595', mediaBox)]! ^= 0x01; // page width 595 → 495: in the signed range
    writeFileSync(file('flipped.pdf'), flipped);
    const names = [
      'bb-ec',
      'adobe-rsa',
      'bt-xrefstream',
      'lta',
      'lta-filled',
      'sealed',
      'page-changed',
      'annotated',
      'p1-filled',
      'locked-filled',
      'unlocked-filled',
      'expired',
      'future',
      'untrusted',
      'doc-ts',
      'flipped',
      'pss',
      'weak-rsa',
      'sha1',
    ];
    const results = (await pyhanko(
      names.map((n) => ['validate', { in: file(`${n}.pdf`), trust: [ca.root.cert], ltv: true }]),
    )) as { signatures: PyhankoSignature[] }[];
    for (const [i, n] of names.entries()) judged.set(n, results[i]!.signatures);
  });

  after(() => ca?.close());

  /** Our verdict per signature agrees with pyHanko's bottom line. */
  function agreesWithPyhanko(name: string, report: VerificationReport): void {
    const theirs = judged.get(name)!;
    expect(report.signatures.map((s) => s.field)).to.deep.equal(theirs.map((s) => s.field));
    expect(report.signatures.map((s) => s.verdict === 'valid')).to.deep.equal(
      theirs.map((s) => s.bottom_line),
    );
  }

  const only = (r: VerificationReport): SignatureReport => {
    expect(r.signatures).to.have.length(1);
    return r.signatures[0]!;
  };

  it('finds a pyHanko B-B ECDSA signature valid, as pyHanko and pdfsig do', async () => {
    const r = await verify('bb-ec.pdf');
    const s = only(r);
    expect(r.verdict).to.equal('valid');
    expect(s.padesLevel).to.equal('B-B');
    expect(s.coversWholeFile).to.equal(true);
    expect(s.signer?.commonName).to.equal('Nguyễn Văn Ánh');
    expect(s.checks.cryptography.key).to.equal('ECDSA P-256');
    expect(s.checks.chain.path).to.have.length(3);
    expect(s.signingTime.basis).to.equal('claimed');
    // No revocation data and no fetching: reported, but not fatal.
    expect(s.checks.revocation.state).to.equal('unknown');
    agreesWithPyhanko('bb-ec', r);
    const [sig] = await pdfsig(file('bb-ec.pdf'), ca.nssDb());
    expect(sig).to.deep.include({ signature: 'Signature is Valid.', certificate: 'Certificate is Trusted.' });
  });

  it('finds an RSA adbe.pkcs7.detached signature valid but not PAdES', async () => {
    const r = await verify('adobe-rsa.pdf');
    const s = only(r);
    expect(s.verdict).to.equal('valid');
    expect(s.subFilter).to.equal('adbe.pkcs7.detached');
    expect(s.padesLevel).to.equal('none');
    expect(s.checks.cryptography.key).to.equal('RSA 2048');
    agreesWithPyhanko('adobe-rsa', r);
  });

  it('reads a PDF with cross-reference and object streams, signed at B-T', async () => {
    const r = await verify('bt-xrefstream.pdf');
    const s = only(r);
    expect(s.verdict).to.equal('valid');
    expect(s.padesLevel).to.equal('B-T');
    expect(s.signingTime.basis).to.equal('signature_timestamp');
    expect(s.checks.timestamp.status).to.equal('passed');
    expect(s.checks.timestamp.authority).to.contain('Vanthu Test TSA');
    agreesWithPyhanko('bt-xrefstream', r);
  });

  it('reaches B-LTA for a certified signature with DSS and document timestamp', async () => {
    const r = await verify('lta.pdf');
    expect(r.verdict).to.equal('valid');
    const [sig, ts] = r.signatures;
    expect(sig!.certification).to.deep.equal({ permissions: 2 });
    expect(sig!.padesLevel).to.equal('B-LTA');
    expect(sig!.checks.revocation.state).to.equal('good');
    expect(sig!.checks.revocation.certificates.every((c) => c.source === 'dss')).to.equal(true);
    expect(sig!.checks.modifications.changes.map((c) => c.kind)).to.include.members([
      'dss',
      'document_timestamp',
    ]);
    expect(ts!.kind).to.equal('document_timestamp');
    expect(ts!.verdict).to.equal('valid');
    agreesWithPyhanko('lta', r);
    expect(judged.get('lta')![0]!.ltv_trusted).to.equal(true);
  });

  it('allows the number fill-in under DocMDP P=2 and a later seal signature', async () => {
    const filled = await verify('lta-filled.pdf');
    expect(filled.verdict).to.equal('valid');
    const fill = filled.signatures[0]!.checks.modifications.changes.find((c) => c.kind === 'form_fill');
    expect(fill).to.include({ field: 'so_ky_hieu', allowed: true });
    agreesWithPyhanko('lta-filled', filled);

    const sealed = await verify('sealed.pdf');
    expect(sealed.verdict).to.equal('valid');
    expect(sealed.signatures.map((s) => s.kind)).to.deep.equal([
      'signature',
      'document_timestamp',
      'signature',
    ]);
    expect(sealed.signatures[2]!.field).to.equal('Seal');
    expect(sealed.signatures[2]!.padesLevel).to.equal('B-LT');
    expect(sealed.signatures[0]!.padesLevel).to.equal('B-LTA');
    agreesWithPyhanko('sealed', sealed);
    // pdfsig lists the document timestamp too but does not check it.
    const theirs = (await pdfsig(file('sealed.pdf'), ca.nssDb())).filter((_, i) => i !== 1);
    expect(theirs.map((s) => s.signature)).to.deep.equal(['Signature is Valid.', 'Signature is Valid.']);
  });

  it('reports a changed page and an added annotation as not allowed, as pyHanko does', async () => {
    for (const name of ['page-changed', 'annotated']) {
      const r = await verify(`${name}.pdf`);
      const s = only(r);
      expect(s.verdict, name).to.equal('invalid');
      expect(s.reasons).to.deep.equal(['modified']);
      expect(s.checks.digest.status).to.equal('passed');
      expect(s.checks.modifications.changes.some((c) => !c.allowed)).to.equal(true);
      agreesWithPyhanko(name, r);
    }
  });

  it('holds DocMDP P=1 and FieldMDP locks against fill-in', async () => {
    const p1 = await verify('p1-filled.pdf');
    expect(only(p1).verdict).to.equal('invalid');
    expect(only(p1).certification).to.deep.equal({ permissions: 1 });
    expect(only(p1).checks.modifications.changes.find((c) => c.kind === 'form_fill')?.allowed).to.equal(
      false,
    );
    agreesWithPyhanko('p1-filled', p1);

    const locked = await verify('locked-filled.pdf');
    expect(only(locked).verdict).to.equal('invalid');
    expect(only(locked).checks.modifications.changes.find((c) => c.kind === 'form_fill')).to.include({
      field: 'so_ky_hieu',
      allowed: false,
    });
    agreesWithPyhanko('locked-filled', locked);

    const other = await verify('unlocked-filled.pdf');
    expect(only(other).verdict).to.equal('valid');
    agreesWithPyhanko('unlocked-filled', other);
  });

  it('reports one flipped byte in the signed range as modified, as pdfsig and pyHanko do', async () => {
    const r = await verify('flipped.pdf');
    const s = only(r);
    expect(s.verdict).to.equal('invalid');
    expect(s.reasons).to.include('digest_mismatch');
    agreesWithPyhanko('flipped', r);
    expect(judged.get('flipped')![0]!.intact).to.equal(false);
    const [sig] = await pdfsig(file('flipped.pdf'), ca.nssDb());
    expect(sig!.signature).to.equal('Digest Mismatch.');
  });

  it('judges certificates at the signing time: expired and not yet valid are invalid', async () => {
    const expired = only(await verify('expired.pdf'));
    expect(expired.verdict).to.equal('invalid');
    expect(expired.reasons).to.deep.equal(['certificate_expired']);
    expect(expired.checks.certificateValidity.basis).to.equal('claimed');
    const future = only(await verify('future.pdf'));
    expect(future.verdict).to.equal('invalid');
    expect(future.reasons).to.deep.equal(['certificate_not_yet_valid']);
    expect(judged.get('expired')![0]!.bottom_line).to.equal(false);
    expect(judged.get('future')![0]!.bottom_line).to.equal(false);
    const [sig] = await pdfsig(file('expired.pdf'), ca.nssDb());
    expect(sig!.certificate).to.equal('Certificate has Expired');
  });

  it('does not judge a valid certificate by the validation time', async () => {
    const later = new Date(Date.now() + 5 * 365 * 86_400_000); // the signer certificate has expired by then
    const s = only(await verify('bb-ec.pdf', { validationTime: later }));
    expect(s.verdict).to.equal('valid');
    expect(s.checks.certificateValidity.status).to.equal('passed');
  });

  it('calls a chain to a root not in the trust list untrusted', async () => {
    const s = only(await verify('untrusted.pdf'));
    expect(s.verdict).to.equal('indeterminate');
    expect(s.reasons).to.deep.equal(['untrusted']);
    expect(s.checks.cryptography.status).to.equal('passed');
    expect(judged.get('untrusted')![0]!.trusted).to.equal(false);
    const [sig] = await pdfsig(file('untrusted.pdf'), ca.nssDb());
    expect(sig!.certificate).to.equal('Certificate issuer is unknown.');
    // The same document with that root trusted is valid.
    const trusted = only(await verify('untrusted.pdf', { trust: [readFileSync(ca.otherRoot.cert, 'utf8')] }));
    expect(trusted.verdict).to.equal('valid');
  });

  it('finds a revoked signer from OCSP evidence fetched through a RevocationSource', async () => {
    const response = readFileSync(ca.ocspResponse(ca.revoked));
    let asked = 0;
    const source = {
      ocsp: async () => {
        asked++;
        return response;
      },
      crls: async () => [],
    };
    const s = only(await verify('revoked.pdf', { revocation: source, fetchRevocation: true }));
    expect(asked).to.be.greaterThan(0);
    expect(s.verdict).to.equal('invalid');
    expect(s.reasons).to.deep.equal(['certificate_revoked']);
    expect(s.checks.revocation.state).to.equal('revoked');
    expect(s.checks.revocation.certificates[0]).to.include({ source: 'fetched', reason: 'keyCompromise' });
    const [theirs] = await pyhankoValidate({
      in: file('revoked.pdf'),
      trust: [ca.root.cert],
      ocsps: [ca.ocspResponse(ca.revoked)],
    });
    expect(theirs!.revoked).to.equal(true);
    // With fetching off, the same evidence is not consulted.
    const offline = only(await verify('revoked.pdf', { revocation: source, fetchRevocation: false }));
    expect(offline.checks.revocation.state).to.equal('unknown');
  });

  it('verifies RSA-PSS, and flags RSA 1024 and SHA-1 as below Thông tư 15/2025', async () => {
    const pss = only(await verify('pss.pdf'));
    expect(pss.verdict).to.equal('valid');
    expect(pss.checks.cryptography.algorithm).to.equal('RSA-PSS with SHA-256');
    expect(judged.get('pss')![0]!.bottom_line).to.equal(true);
    for (const [name, what] of [
      ['weak-rsa', 'RSA 1024'],
      ['sha1', 'SHA-1'],
    ] as const) {
      const s = only(await verify(`${name}.pdf`));
      expect(s.verdict, name).to.equal('invalid');
      expect(s.reasons, name).to.deep.equal(['weak_algorithm']);
      expect(s.checks.cryptography.status, name).to.equal('passed'); // intact, just not allowed
      expect(s.checks.algorithmPolicy.message, name).to.contain(what);
    }
  });

  it('verifies a document timestamp on its own', async () => {
    const r = await verify('doc-ts.pdf');
    const ts = only(r);
    expect(ts.kind).to.equal('document_timestamp');
    expect(ts.verdict).to.equal('valid');
    expect(ts.signer?.commonName).to.equal('Vanthu Test TSA');
    expect(ts.checks.digest.status).to.equal('passed');
    agreesWithPyhanko('doc-ts', r);
  });
});
