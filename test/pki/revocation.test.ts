import * as asn1js from 'asn1js';
import { expect } from 'chai';
import { parseCertificate } from '../../pki/crypto/certificate';
import { crlEntryFor, crlNumberOf, parseCrl } from '../../pki/revocation/crl';
import { buildOcspRequest, checkOcspResponse, queryOcsp } from '../../pki/revocation/ocsp-client';
import { createPkiFixture, getPkiFixture, type PkiFixture } from '../support/pki-fixture';
import { expectPkiError, openssl, tempDir } from './openssl-judge';

describe('pki/revocation: revoke, CRL, OCSP (judged by OpenSSL)', () => {
  const tmp = tempDir('revocation');
  let pki: PkiFixture;

  before(async () => {
    pki = await getPkiFixture();
  });
  after(() => tmp.cleanup());

  async function opensslOcsp(certPath: string, extra: string[] = []) {
    return openssl([
      'ocsp',
      '-issuer',
      pki.issuing.pemPath,
      '-cert',
      certPath,
      '-url',
      pki.ocspUrl,
      '-CAfile',
      pki.root.pemPath,
      ...extra,
    ]);
  }

  it('OpenSSL gets "good", then "revoked" right after the revocation, and the next CRL lists it', async () => {
    const victim = await pki.issueSigner();
    const before = await opensslOcsp(victim.certPath);
    expect(before.stdout, before.stderr).to.contain(`${victim.certPath}: good`);
    expect(before.stderr).to.contain('Response verify OK');

    await pki.revoke(victim.serial, 'keyCompromise');

    const after = await opensslOcsp(victim.certPath);
    expect(after.stdout).to.contain(`${victim.certPath}: revoked`);
    expect(after.stdout).to.contain('Reason: keyCompromise');
    expect(after.stderr).to.contain('Response verify OK');

    const response = await fetch(`${pki.baseUrl}/pki/crl/${pki.issuing.name}.crl`);
    expect(response.headers.get('content-type')).to.equal('application/pkix-crl');
    const crlFile = tmp.file('issuing.crl', new Uint8Array(await response.arrayBuffer()));
    const text = await openssl(['crl', '-inform', 'DER', '-in', crlFile, '-noout', '-text']);
    expect(text.stdout).to.contain('Version 2');
    expect(text.stdout).to.match(/X509v3 CRL Number:\s+\d+/);
    expect(text.stdout).to.contain('X509v3 Authority Key Identifier');
    expect(text.stdout).to.contain(`Serial Number: ${victim.serial.toUpperCase()}`);
    expect(text.stdout).to.contain('Key Compromise');
    const verified = await openssl([
      'crl',
      '-inform',
      'DER',
      '-in',
      crlFile,
      '-CAfile',
      pki.caBundlePath,
      '-noout',
    ]);
    expect(verified.stderr + verified.stdout).to.contain('verify OK');
    // openssl verify with -crl_check agrees the certificate is revoked.
    const crlPem = tmp.file(
      'issuing.crl.pem',
      (await openssl(['crl', '-inform', 'DER', '-in', crlFile])).stdout,
    );
    const chainCheck = await openssl([
      'verify',
      '-crl_check',
      '-CAfile',
      pki.root.pemPath,
      '-untrusted',
      pki.issuing.pemPath,
      '-CRLfile',
      crlPem,
      victim.certPath,
    ]);
    expect(chainCheck.stdout + chainCheck.stderr).to.contain('certificate revoked');
  });

  it('answers the OCSP GET form, echoes nonces, says unknown for serials never issued and unauthorized for other CAs', async () => {
    const get = await opensslOcsp(pki.signers.ecdsa.certPath, ['-req_text']);
    expect(get.stdout).to.contain(': good');
    const request = buildOcspRequest(pki.signers.ecdsa.certificate, pki.issuing.der);
    const encoded = encodeURIComponent(Buffer.from(request.der).toString('base64'));
    const viaGet = await fetch(`${pki.ocspUrl}/${encoded}`);
    expect(viaGet.headers.get('content-type')).to.equal('application/ocsp-response');
    const checked = checkOcspResponse(new Uint8Array(await viaGet.arrayBuffer()), {
      certificate: pki.signers.ecdsa.certificate,
      issuer: pki.issuing.der,
      nonce: request.nonce,
    });
    expect(checked.status).to.equal('good');

    // A certificate naming our issuing CA but with a serial it never issued: "unknown".
    const forged = parseCertificate(pki.signers.ecdsa.certificate);
    forged.serialNumber = new asn1js.Integer({ valueHex: new Uint8Array([0x12, 0x34, 0x56, 0x78]) });
    const forgedDer = new Uint8Array(forged.toSchema(true).toBER(false));
    const unknown = checkOcspResponse(
      await pki.services.ocsp.respond(buildOcspRequest(forgedDer, pki.issuing.der).der),
      {
        certificate: forgedDer,
        issuer: pki.issuing.der,
      },
    );
    expect(unknown.status).to.equal('unknown');

    // A certificate of another CA: this responder is not authorised for it.
    const other = await createPkiFixture();
    try {
      const stranger = await queryOcsp(other.signers.ecdsa.certificate, other.issuing.der, {
        url: pki.ocspUrl,
      }).catch((e: Error) => e);
      expect((stranger as Error).message).to.contain('unauthorized');
    } finally {
      await other.close();
    }
  });

  it('our client checks signature, responder, certificate and nonce, and reports revocation details', async () => {
    const victim = await pki.issueSigner();
    expect((await queryOcsp(victim.certificate, pki.issuing.der)).status).to.equal('good');
    await pki.ca.revoke(victim.serial, { reason: 'superseded' });
    const revoked = await queryOcsp(victim.certificate, pki.issuing.der);
    expect(revoked.status).to.equal('revoked');
    expect(revoked.reason).to.equal('superseded');

    const request = buildOcspRequest(victim.certificate, pki.issuing.der);
    const answer = await pki.services.ocsp.respond(request.der);
    // Another certificate's question cannot be answered with this response.
    await expectPkiError(
      () => checkOcspResponse(answer, { certificate: pki.signers.rsa.certificate, issuer: pki.issuing.der }),
      'revocation_unavailable',
    );
    // A different nonce means a replay.
    await expectPkiError(
      () =>
        checkOcspResponse(answer, {
          certificate: victim.certificate,
          issuer: pki.issuing.der,
          nonce: new Uint8Array(16),
        }),
      'revocation_unavailable',
    );
    // A flipped byte in the signed data breaks the signature.
    const tampered = answer.slice();
    const at = Buffer.from(tampered).indexOf(Buffer.from(request.nonce!)) + 3;
    tampered[at] = (tampered[at] ?? 0) ^ 0xff;
    await expectPkiError(
      () => checkOcspResponse(tampered, { certificate: victim.certificate, issuer: pki.issuing.der }),
      'revocation_unavailable',
    );
    // Garbage is a malformedRequest, not a crash.
    const malformed = await pki.services.ocsp.respond(new Uint8Array([1, 2, 3]));
    expect(
      await expectPkiError(
        () => checkOcspResponse(malformed, { certificate: victim.certificate, issuer: pki.issuing.der }),
        'revocation_unavailable',
      ),
    ).to.contain('malformedRequest');
  });

  it('answers for the issuing CA itself through the root’s delegated responder, and root CRLs', async () => {
    const answer = await queryOcsp(pki.issuing.der, pki.root.der);
    expect(answer.status).to.equal('good');
    const crls = await pki.revocation.http.crls(pki.issuing.der);
    expect(crls).to.have.length(1);
    const crl = parseCrl(crls[0]!);
    expect(crlNumberOf(crl)).to.be.a('bigint');
    expect(crlEntryFor(crl, 'abcdef').revoked).to.equal(false);
  });

  it('RevocationSource over HTTP and in-process give evidence our client accepts', async () => {
    for (const source of [pki.revocation.http, pki.revocation.local]) {
      const der = await source.ocsp(pki.signers.rsa.certificate, pki.issuing.der);
      expect(der).to.not.equal(null);
      expect(
        checkOcspResponse(der!, { certificate: pki.signers.rsa.certificate, issuer: pki.issuing.der }).status,
      ).to.equal('good');
      const crls = await source.crls(pki.signers.rsa.certificate);
      expect(crls).to.have.length(1);
      expect(crlEntryFor(parseCrl(crls[0]!), pki.signers.rsa.serial).revoked).to.equal(false);
    }
  });

  it('an unreachable responder gives null / [] from the HTTP source and revocation_unavailable from the client', async () => {
    const other = await createPkiFixture();
    const certificate = other.signers.ecdsa.certificate;
    const issuer = other.issuing.der;
    await other.close(); // its URLs now point at a closed port
    expect(await pki.revocation.http.ocsp(certificate, issuer)).to.equal(null);
    expect(await pki.revocation.http.crls(certificate)).to.deep.equal([]);
    await expectPkiError(queryOcsp(certificate, issuer, { timeoutMs: 2_000 }), 'revocation_unavailable');
  });
});
