/**
 * PDF signature verification speed on one core: a 1-page and a 10 MB PDF signed at B-B,
 * RSA-2048 and ECDSA P-256. The 1-page rows stand beside `openssl speed` signing rates on
 * the same machine; the 10 MB rows beside the rate of merely hashing that file with SHA-256,
 * which bounds them. Goal: 1-page B-B ≥ 1,000 verifications/s.
 * Each verification is complete: byte range, digest, CMS, algorithms, ESS, chain (cached
 * per path and trust set), validity, revocation from the document, changes, level.
 */
import { createHash } from 'node:crypto';
import { signPdf } from '../pki/pades/sign';
import { verifyPdf } from '../pki/verify';
import { makeDocumentPdf, makeLargePdf } from '../test/fixtures/pdf/make';
import { createPkiFixture } from '../test/support/pki-fixture';
import { type BenchRow, benchSigners, opensslSignRates, perSecond } from './harness';

export async function run(): Promise<BenchRow[]> {
  const limits = opensslSignRates();
  const pki = await createPkiFixture();
  try {
    const onePage = await makeDocumentPdf();
    const large = await makeLargePdf(10 * 1024 * 1024);
    const signers = benchSigners(pki, limits);
    const hashRate = await perSecond(async () => createHash('sha256').update(large).digest());
    const rows: BenchRow[] = [];
    for (const [keyName, signer, signLimit] of signers) {
      for (const [docName, pdf] of [
        ['1-page PDF', onePage],
        ['10 MB PDF', large],
      ] as const) {
        const signed = (await signPdf(pdf, { signer })).pdf;
        const check = await verifyPdf(signed, { trust: pki.trust, fetchRevocation: false });
        if (check.verdict !== 'valid') throw new Error(`the ${docName} ${keyName} sample does not verify`);
        const measured = await perSecond(() =>
          verifyPdf(signed, { trust: pki.trust, fetchRevocation: false }),
        );
        const limit =
          docName === '1-page PDF'
            ? { ...signLimit, unit: 'sig/s' }
            : { name: 'SHA-256 of the 10 MB file (node crypto)', value: hashRate, unit: 'hash/s' };
        rows.push({
          group: 'pki',
          name: `verify B-B ${docName} ${keyName}`,
          value: measured,
          unit: 'verif/s',
          ...(docName === '1-page PDF' ? { target: '≥ 1000/s' } : {}),
          limit,
          note: `${(signed.length / 1024).toFixed(0)} kB, one core, trust store with the fixture root`,
        });
      }
    }
    return rows;
  } finally {
    await pki.close();
  }
}
