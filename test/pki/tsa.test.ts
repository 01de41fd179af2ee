import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as asn1js from 'asn1js';
import { expect } from 'chai';
import * as pkijs from 'pkijs';
import { toArrayBuffer } from '../../pki/crypto/encoding';
import { TrustStore } from '../../pki/trust/store';
import { buildTimestampRequest, checkTimestampResponse, HttpTimestampAuthority } from '../../pki/tsa/client';
import { checkTimestampToken } from '../../pki/tsa/token';
import { createPkiFixture, getPkiFixture, type PkiFixture } from '../support/pki-fixture';
import { expectPkiError, openssl, run, tempDir } from './openssl-judge';

describe('pki/tsa RFC 3161 server and client (judged by OpenSSL)', () => {
  const tmp = tempDir('tsa');
  let pki: PkiFixture;
  const document = new TextEncoder().encode('Kết luận số 5-KL/TU, bản đã ký');
  const dataFile = tmp.file('document.txt', document);
  const digest = new Uint8Array(createHash('sha256').update(document).digest());

  before(async () => {
    pki = await getPkiFixture();
  });
  after(() => tmp.cleanup());

  async function post(body: Uint8Array, type = 'application/timestamp-query'): Promise<Response> {
    return fetch(pki.tsaUrl, { method: 'POST', headers: { 'content-type': type }, body: Buffer.from(body) });
  }

  it('answers an `openssl ts -query` so that `openssl ts -verify` says OK, with the fields OpenSSL shows', async () => {
    const query = tmp.file('req.tsq');
    const made = await openssl(['ts', '-query', '-data', dataFile, '-sha256', '-cert', '-out', query]);
    expect(made.code, made.stderr).to.equal(0);
    const response = await post(readFileSync(query));
    expect(response.status).to.equal(200);
    expect(response.headers.get('content-type')).to.equal('application/timestamp-reply');
    const reply = tmp.file('resp.tsr', new Uint8Array(await response.arrayBuffer()));
    const verified = await openssl([
      'ts',
      '-verify',
      '-in',
      reply,
      '-data',
      dataFile,
      '-CAfile',
      pki.root.pemPath,
      '-untrusted',
      pki.tsaCertificate.pemPath,
    ]);
    expect(verified.stdout + verified.stderr).to.contain('Verification: OK');
    const withQuery = await openssl([
      'ts',
      '-verify',
      '-in',
      reply,
      '-queryfile',
      query,
      '-CAfile',
      pki.root.pemPath,
      '-untrusted',
      pki.tsaCertificate.pemPath,
    ]);
    expect(withQuery.stdout + withQuery.stderr).to.contain('Verification: OK');
    const text = (await openssl(['ts', '-reply', '-in', reply, '-text'])).stdout;
    expect(text).to.contain('Status: Granted.');
    expect(text).to.contain('Policy OID: 2.25.92993792709073019063551256548720817622.1');
    expect(text).to.contain('Hash Algorithm: sha256');
    expect(text).to.match(/Serial number: 0x[0-9A-F]{30,}/);
    expect(text).to.match(/Time stamp: \w+ +\d+ \d\d:\d\d:\d\d \d{4} GMT/);
    expect(text).to.contain('Accuracy: 0x01 seconds');
    expect(text).to.match(/Nonce: 0x[0-9A-F]+/);
    expect(text).to.contain('TSA: DirName:');
    // The token carries signing-certificate-v2 (ESSCertIDv2).
    const token = tmp.file('token.der');
    await openssl(['ts', '-reply', '-in', reply, '-token_out', '-out', token]);
    const dump = (await openssl(['cms', '-cmsout', '-print', '-inform', 'DER', '-in', token])).stdout;
    expect(dump).to.contain('id-smime-aa-signingCertificateV2');
  });

  it('issues canonical DER tokens that pyHanko validates as intact, valid and trusted', async () => {
    const token = await pki.tsa.http.timestamp(digest, 'SHA-256');
    const script = [
      'import asyncio, hashlib, sys',
      'from asn1crypto import cms, x509',
      'from pyhanko.sign.validation.generic_cms import validate_tst_signed_data',
      'from pyhanko_certvalidator import ValidationContext',
      "raw = open(sys.argv[1], 'rb').read()",
      "root = x509.Certificate.load(open(sys.argv[2], 'rb').read())",
      'info = cms.ContentInfo.load(raw)',
      "print('der', info.dump(force=True) == raw)",
      "context = ValidationContext(trust_roots=[root], allow_fetching=False, revocation_mode='soft-fail')",
      "data = open(sys.argv[3], 'rb').read()",
      "status = asyncio.run(validate_tst_signed_data(info['content'], context, lambda algo: hashlib.new(algo, data).digest()))",
      "print('intact', status['intact'], 'valid', status['valid'], 'trust', status['trust_problem_indic'])",
    ].join('\n');
    const judged = await run('python3', [
      '-c',
      script,
      tmp.file('token.der', token),
      tmp.file('root.der', pki.root.der),
      dataFile,
    ]);
    expect(judged.code, judged.stderr).to.equal(0);
    expect(judged.stdout).to.contain('der True');
    expect(judged.stdout).to.contain('intact True valid True trust None');
  });

  it('leaves the certificates out when certReq is false, and still verifies with the TSA certificate given', async () => {
    const request = buildTimestampRequest(digest, 'SHA-256', { certReq: false });
    const response = new Uint8Array(await (await post(request.der)).arrayBuffer());
    expect(() => checkTimestampResponse(response, request)).to.throw(/certificate/);
    const checked = checkTimestampResponse(response, request, { tsaCertificate: pki.tsaCertificate.der });
    expect(checked.certificates).to.have.length(0);
    expect(checked.nonce).to.equal(request.nonce);
  });

  it('rejects SHA-1, wrong sizes, garbage, foreign policies and extensions with the RFC 3161 failure info', async () => {
    const sha1Query = tmp.file('sha1.tsq');
    await openssl(['ts', '-query', '-data', dataFile, '-sha1', '-out', sha1Query]);
    const sha1Reply = tmp.file(
      'sha1.tsr',
      new Uint8Array(await (await post(readFileSync(sha1Query))).arrayBuffer()),
    );
    const sha1Text = (await openssl(['ts', '-reply', '-in', sha1Reply, '-text'])).stdout;
    expect(sha1Text).to.contain('Status: Rejected');
    expect(sha1Text).to.contain('unrecognized or unsupported algorithm');

    const failureOf = async (body: Uint8Array) => {
      const reply = tmp.file(
        `r-${Math.random()}.tsr`,
        new Uint8Array(await (await post(body)).arrayBuffer()),
      );
      return (await openssl(['ts', '-reply', '-in', reply, '-text'])).stdout;
    };
    expect(await failureOf(new Uint8Array([0x30, 0x03, 0x02, 0x01]))).to.contain(
      'the data submitted has the wrong format',
    );

    const policyQuery = tmp.file('policy.tsq');
    await openssl([
      'ts',
      '-query',
      '-data',
      dataFile,
      '-sha256',
      '-tspolicy',
      '1.2.3.4',
      '-out',
      policyQuery,
    ]);
    expect(await failureOf(readFileSync(policyQuery))).to.contain(
      'the requested TSA policy is not supported',
    );

    const withExtension = pkijs.TimeStampReq.fromBER(
      toArrayBuffer(buildTimestampRequest(digest, 'SHA-256').der),
    );
    withExtension.extensions = [
      new pkijs.Extension({
        extnID: '1.2.3.4.5',
        critical: false,
        extnValue: new asn1js.Null().toBER(false),
      }),
    ];
    expect(await failureOf(new Uint8Array(withExtension.toSchema().toBER(false)))).to.contain(
      'the requested extension is not supported',
    );

    const shortImprint = pkijs.TimeStampReq.fromBER(
      toArrayBuffer(buildTimestampRequest(digest, 'SHA-256').der),
    );
    shortImprint.messageImprint.hashedMessage = new asn1js.OctetString({ valueHex: new Uint8Array(20) });
    expect(await failureOf(new Uint8Array(shortImprint.toSchema().toBER(false)))).to.contain(
      'the data submitted has the wrong format',
    );
  });

  it('HTTP and in-process TimestampAuthority return tokens that match the digest and pass the token check', async () => {
    for (const authority of [pki.tsa.http, pki.tsa.local]) {
      const token = await authority.timestamp(digest, 'SHA-256');
      const info = checkTimestampToken(token);
      expect(Buffer.from(info.hashedMessage).equals(Buffer.from(digest))).to.equal(true);
      expect(info.hashAlgorithm).to.equal('SHA-256');
    }
    const sha512 = new Uint8Array(createHash('sha512').update(document).digest());
    expect(checkTimestampToken(await pki.tsa.http.timestamp(sha512, 'SHA-512')).hashAlgorithm).to.equal(
      'SHA-512',
    );
    await expectPkiError(pki.tsa.http.timestamp(digest.subarray(0, 20), 'SHA-256'), 'invalid_input');
    await expectPkiError(pki.tsa.http.timestamp(digest, 'SHA-1' as never), 'weak_algorithm');
  });

  it('fails closed: no answer, a wrong content type, another imprint, or an untrusted TSA → tsa_unavailable', async () => {
    await expectPkiError(
      new HttpTimestampAuthority('http://127.0.0.1:9/pki/tsa', { timeoutMs: 2_000 }).timestamp(
        digest,
        'SHA-256',
      ),
      'tsa_unavailable',
    );
    // A "TSA" that replays a token for another document.
    const otherToken = await pki.services.tsa.respond(
      buildTimestampRequest(new Uint8Array(32).fill(7), 'SHA-256').der,
    );
    let contentType = 'application/timestamp-reply';
    const liar = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': contentType });
        res.end(Buffer.from(otherToken));
      });
    });
    await new Promise<void>((resolve) => liar.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(liar.address() as AddressInfo).port}/tsa`;
    try {
      expect(
        await expectPkiError(new HttpTimestampAuthority(url).timestamp(digest, 'SHA-256'), 'tsa_unavailable'),
      ).to.match(/imprint|nonce/);
      contentType = 'text/html';
      expect(
        await expectPkiError(new HttpTimestampAuthority(url).timestamp(digest, 'SHA-256'), 'tsa_unavailable'),
      ).to.contain('content type');
    } finally {
      liar.closeAllConnections();
      liar.close();
    }
    // A TSA whose root is not among our anchors.
    const stranger = await createPkiFixture();
    try {
      const untrusted = new HttpTimestampAuthority(stranger.tsaUrl, { trust: pki.trust });
      expect(await expectPkiError(untrusted.timestamp(digest, 'SHA-256'), 'tsa_unavailable')).to.contain(
        'not trusted',
      );
      const trusted = new HttpTimestampAuthority(stranger.tsaUrl, {
        trust: new TrustStore([stranger.root.der]),
      });
      expect(await trusted.timestamp(digest, 'SHA-256')).to.be.instanceOf(Uint8Array);
    } finally {
      await stranger.close();
    }
  });

  it('refuses a token whose content or signature was altered', async () => {
    const token = await pki.tsa.local.timestamp(digest, 'SHA-256');
    const altered = token.slice();
    const at = Buffer.from(altered).indexOf(Buffer.from(digest)) + 5;
    altered[at] = (altered[at] ?? 0) ^ 0x01;
    expect(await expectPkiError(() => checkTimestampToken(altered), 'tsa_unavailable')).to.contain(
      'message digest',
    );
    const resigned = token.slice();
    resigned[resigned.length - 3] = (resigned[resigned.length - 3] ?? 0) ^ 0x01;
    await expectPkiError(() => checkTimestampToken(resigned), 'tsa_unavailable');
    await expectPkiError(
      () => checkTimestampToken(new Uint8Array([1, 2, 3]), { errorCode: 'invalid_input' }),
      'invalid_input',
    );
  });
});
