/**
 * Bad input to verifyPdf: every case ends in a clear PkiError or a report that says what is
 * wrong — never a crash, a hang, or "valid". The fuzz test flips single bytes at a few
 * hundred seeded positions across a signed PDF.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { isPkiError, type PkiErrorCode } from '../../pki/errors';
import { type VerificationReport, verifyPdf } from '../../pki/verify';
import { pyhanko } from '../fixtures/verify/judges';
import { makePdf } from '../fixtures/verify/make-pdf';
import { createOpensslCa, type OpensslCa } from '../fixtures/verify/openssl-ca';

/** Deterministic PRNG (mulberry32) so a failing position can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('verifyPdf on bad input', function () {
  this.timeout(120_000);
  let ca: OpensslCa;
  let trust: string[];
  let signed: Buffer;
  let unsigned: Buffer;

  before(async () => {
    ca = createOpensslCa();
    trust = [readFileSync(ca.root.cert, 'utf8')];
    const input = path.join(ca.dir, 'in.pdf');
    writeFileSync(input, await makePdf({ fields: ['so_ky_hieu'] }));
    const tsa = { cert: ca.tsa.cert, key: ca.tsa.key, chain: [ca.intermediate.cert] };
    await pyhanko([
      [
        'sign',
        {
          key: ca.signerEc.key,
          cert: ca.signerEc.cert,
          chain: [ca.intermediate.cert],
          in: input,
          out: path.join(ca.dir, 'signed.pdf'),
          level: 'B-T',
          tsa,
        },
      ],
    ]);
    signed = readFileSync(path.join(ca.dir, 'signed.pdf'));
    unsigned = readFileSync(input);
  });

  after(() => ca?.close());

  const verify = (bytes: Uint8Array, maxBytes?: number) =>
    verifyPdf(bytes, { trust, fetchRevocation: false, maxBytes });

  async function rejects(bytes: Uint8Array, code: PkiErrorCode, maxBytes?: number): Promise<void> {
    try {
      await verify(bytes, maxBytes);
    } catch (error) {
      expect(isPkiError(error), String(error)).to.equal(true);
      expect((error as { code: string }).code).to.equal(code);
      expect((error as Error).message).to.match(/^[A-Z].*\.$/);
      expect((error as Error).message).not.to.contain('\n');
      return;
    }
    expect.fail(`expected a PkiError ${code}`);
  }

  /** Replaces bytes in place, keeping the length (so offsets stay right). */
  function patch(bytes: Buffer, at: number, text: string): Buffer {
    const out = Buffer.from(bytes);
    out.write(text, at, 'latin1');
    return out;
  }

  const contentsHex = (bytes: Buffer) => {
    const start = bytes.indexOf('/Contents <') + '/Contents <'.length;
    return { start, end: bytes.indexOf('>', start) };
  };

  it('the signed sample itself is valid (so the cases below fail for their own reason)', async () => {
    const r = await verify(signed);
    expect(r.verdict).to.equal('valid');
    expect(r.signatures[0]!.padesLevel).to.equal('B-T');
  });

  it('refuses what is not a PDF', async () => {
    await rejects(Buffer.from('Xin chào, đây không phải PDF.\n'.repeat(20)), 'not_a_pdf');
    await rejects(Buffer.alloc(0), 'not_a_pdf');
    await rejects(new Uint8Array([0x25, 0x50, 0x44]), 'not_a_pdf');
  });

  it('refuses a truncated file', async () => {
    await rejects(signed.subarray(0, Math.floor(signed.length / 2)), 'pdf_damaged');
    await rejects(signed.subarray(0, signed.length - 30), 'pdf_damaged');
  });

  it('refuses an encrypted file (qpdf --encrypt)', async () => {
    const encrypted = path.join(ca.dir, 'encrypted.pdf');
    execFileSync('qpdf', [
      '--encrypt',
      'user',
      'owner',
      '256',
      '--',
      path.join(ca.dir, 'signed.pdf'),
      encrypted,
    ]);
    await rejects(readFileSync(encrypted), 'pdf_encrypted');
  });

  it('refuses a broken cross-reference table', async () => {
    const at = signed.lastIndexOf('startxref') + 'startxref\n'.length;
    await rejects(patch(signed, at, '9'), 'pdf_damaged'); // startxref now points elsewhere
    const xref = unsigned.indexOf('xref');
    await rejects(patch(unsigned, xref, 'xxxx'), 'pdf_damaged');
  });

  it('refuses a file over the size limit', async () => {
    await rejects(signed, 'pdf_too_large', 1024);
  });

  it('reports a document without signatures as unsigned', async () => {
    const r = await verify(unsigned);
    expect(r.verdict).to.equal('unsigned');
    expect(r.signatures).to.have.length(0);
  });

  it('reports garbage /Contents as a damaged signature', async () => {
    const { start, end } = contentsHex(signed);
    const r = await verify(patch(signed, start, 'ab'.repeat((end - start) / 2)));
    expect(r.verdict).to.equal('invalid');
    expect(r.signatures[0]!.reasons).to.include('signature_damaged');
    expect(r.signatures[0]!.checks.cryptography.status).to.equal('failed');
  });

  it('reports a truncated CMS (zeroed from a quarter on) as a damaged signature', async () => {
    const { start, end } = contentsHex(signed);
    const der = Buffer.from(signed.toString('latin1', start, end), 'hex');
    const used = der.length - (der.length - der.findLastIndex((b) => b !== 0) - 1);
    const cut = start + Math.floor(used / 4) * 2; // inside the certificates
    const r = await verify(patch(signed, cut, '0'.repeat(end - cut)));
    expect(r.verdict).to.equal('invalid');
    expect(r.signatures[0]!.reasons).to.include('signature_damaged');
  });

  it('reports a /ByteRange that lies (skips signed bytes) as invalid', async () => {
    const at = signed.indexOf('/ByteRange [') + '/ByteRange ['.length;
    const close = signed.indexOf(']', at);
    const [a, b, c, d] = signed.toString('latin1', at, close).trim().split(/\s+/).map(Number) as [
      number,
      number,
      number,
      number,
    ];
    // Leave 10 more bytes out of the second range, keeping the text the same width.
    const lie = `${a} ${b} ${c + 10} ${d - 10}`.padEnd(close - at, ' ');
    const r = await verify(patch(signed, at, lie));
    expect(r.verdict).to.equal('invalid');
    expect(r.signatures[0]!.reasons).to.include('byte_range_invalid');
  });

  it('reports mixed-case or spaced hex in /Contents (bytes outside the signed ranges) as invalid', async () => {
    const { start } = contentsHex(signed);
    const hex = signed.toString('latin1', start, start + 200);
    const letter = hex.search(/[a-fA-F]/);
    const swapped =
      hex[letter]! === hex[letter]!.toUpperCase() ? hex[letter]!.toLowerCase() : hex[letter]!.toUpperCase();
    const upper = patch(signed, start + letter, swapped);
    expect((await verify(upper)).verdict).to.equal('invalid');
    const { end } = contentsHex(signed);
    const spaced = patch(signed, end - 1, ' '); // a trailing padding zero becomes a space
    expect((await verify(spaced)).verdict).to.equal('invalid');
  });

  it('fuzz: 300 single-byte flips are each "invalid" or a clean PkiError, never valid or a crash', async () => {
    const random = prng(0x5eed);
    const outcomes = { invalid: 0, indeterminate: 0, unsigned: 0, error: 0 };
    for (let i = 0; i < 300; i++) {
      const pos = Math.floor(random() * signed.length);
      const mask = 1 + Math.floor(random() * 255);
      const bytes = Buffer.from(signed);
      bytes[pos]! ^= mask;
      let report: VerificationReport;
      try {
        report = await verify(bytes);
      } catch (error) {
        expect(isPkiError(error), `flip ${mask} at ${pos}: ${String(error)}`).to.equal(true);
        outcomes.error++;
        continue;
      }
      expect(report.verdict, `flip ${mask} at ${pos}`).not.to.equal('valid');
      outcomes[report.verdict as keyof typeof outcomes]++;
    }
    // The flips exercised both paths: reports and clean errors.
    expect(outcomes.invalid).to.be.greaterThan(0);
    expect(outcomes.error).to.be.greaterThan(0);
  });
});
