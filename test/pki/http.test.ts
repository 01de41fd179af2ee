import { expect } from 'chai';
import * as pkijs from 'pkijs';
import { parseCertificate } from '../../pki/crypto/certificate';
import { toArrayBuffer } from '../../pki/crypto/encoding';
import { parseCrl } from '../../pki/revocation/crl';
import { buildOcspRequest } from '../../pki/revocation/ocsp-client';
import { buildTimestampRequest } from '../../pki/tsa/client';
import { getPkiFixture, type PkiFixture } from '../support/pki-fixture';

describe('pki/http handlers (/pki on the fixture server)', () => {
  let pki: PkiFixture;

  before(async () => {
    pki = await getPkiFixture();
  });

  const body = async (response: Response) => new Uint8Array(await response.arrayBuffer());

  it('serves CA certificates and current CRLs as DER with the right types', async () => {
    for (const name of [pki.root.name, pki.issuing.name]) {
      const cert = await fetch(`${pki.baseUrl}/pki/certs/${name}.crt`);
      expect(cert.status).to.equal(200);
      expect(cert.headers.get('content-type')).to.equal('application/pkix-cert');
      expect(
        parseCertificate(await body(cert)).subject.isEqual(
          parseCertificate(name === pki.root.name ? pki.root.der : pki.issuing.der).subject,
        ),
      ).to.equal(true);
      const crl = await fetch(`${pki.baseUrl}/pki/crl/${name}.crl`);
      expect(crl.headers.get('content-type')).to.equal('application/pkix-crl');
      expect(parseCrl(await body(crl)).nextUpdate).to.not.equal(undefined);
    }
    expect((await fetch(`${pki.baseUrl}/pki/certs/nobody.crt`)).status).to.equal(404);
    expect((await fetch(`${pki.baseUrl}/pki/crl/nobody.crl`)).status).to.equal(404);
    expect((await fetch(`${pki.baseUrl}/pki/elsewhere`)).status).to.equal(404);
  });

  it('refuses wrong methods (405) and wrong content types (415)', async () => {
    const request = buildOcspRequest(pki.signers.rsa.certificate, pki.issuing.der).der;
    const wrongType = await fetch(pki.ocspUrl, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: Buffer.from(request),
    });
    expect(wrongType.status).to.equal(415);
    const tsq = buildTimestampRequest(new Uint8Array(32), 'SHA-256').der;
    const wrongTsa = await fetch(pki.tsaUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/ocsp-request' },
      body: Buffer.from(tsq),
    });
    expect(wrongTsa.status).to.equal(415);
    const get = await fetch(pki.tsaUrl);
    expect(get.status).to.equal(405);
    expect(get.headers.get('allow')).to.equal('POST');
    expect(
      (await fetch(`${pki.baseUrl}/pki/crl/${pki.issuing.name}.crl`, { method: 'POST' })).status,
    ).to.equal(405);
  });

  it('caps request bodies (413) and keeps serving afterwards', async () => {
    const huge = Buffer.alloc(200 * 1024, 0x30);
    const response = await fetch(pki.tsaUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/timestamp-query' },
      body: huge,
    });
    expect(response.status).to.equal(413);
    const after = await fetch(pki.tsaUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/timestamp-query' },
      body: Buffer.from(buildTimestampRequest(new Uint8Array(32).fill(1), 'SHA-256').der),
    });
    expect(pkijs.TimeStampResp.fromBER(toArrayBuffer(await body(after))).status.status).to.equal(0);
  });

  it('answers bad DER with protocol errors: OCSP malformedRequest, TSA badDataFormat', async () => {
    for (const garbage of [
      new Uint8Array(0),
      new Uint8Array([0xff, 0xff, 0xff]),
      new Uint8Array([0x30, 0x80, 0x30]),
    ]) {
      const ocsp = await fetch(pki.ocspUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/ocsp-request' },
        body: Buffer.from(garbage),
      });
      expect(ocsp.status).to.equal(200);
      expect(ocsp.headers.get('content-type')).to.equal('application/ocsp-response');
      expect(
        pkijs.OCSPResponse.fromBER(toArrayBuffer(await body(ocsp))).responseStatus.valueBlock.valueDec,
      ).to.equal(1);
      const tsa = await fetch(pki.tsaUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/timestamp-query' },
        body: Buffer.from(garbage),
      });
      const reply = pkijs.TimeStampResp.fromBER(toArrayBuffer(await body(tsa)));
      expect(reply.status.status).to.equal(2);
      expect(reply.status.failInfo?.valueBlock.valueHexView[0]).to.equal(0x04); // bit 5: badDataFormat
    }
    for (const path of ['%%%', 'not*base64', 'AAAA']) {
      const get = await fetch(`${pki.ocspUrl}/${path}`);
      expect(get.status).to.equal(200);
      expect(
        pkijs.OCSPResponse.fromBER(toArrayBuffer(await body(get))).responseStatus.valueBlock.valueDec,
      ).to.equal(1);
    }
  });
});
