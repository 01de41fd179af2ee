/**
 * PAdES signing speed on one core (no worker threads): B-B and B-T (in-process TSA) of a
 * 1-page PDF and a 10 MB PDF, RSA-2048 and ECDSA P-256, beside `openssl speed` on the same
 * machine. Goal: B-B of a 1-page PDF ≥ 1,000/s (a quarter of raw RSA-2048 signing).
 */
import { execFileSync } from 'node:child_process';
import { signPdf } from '../pki/pades/sign';
import { makeDocumentPdf, makeLargePdf } from '../test/fixtures/pdf/make';
import { createPkiFixture } from '../test/support/pki-fixture';
import { type BenchRow, benchSigners, opensslSignRates, perSecond } from './harness';

/** Bytes per second of `openssl speed -evp sha256` on 16 kB blocks: the hashing limit for large PDFs. */
function opensslSha256BytesPerSecond(seconds = 2): number {
  const out = execFileSync(
    'openssl',
    ['speed', '-mr', '-seconds', String(seconds), '-bytes', '16384', '-evp', 'sha256'],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  const line = out.split('\n').find((l) => l.startsWith('+F:'));
  if (!line) throw new Error('openssl speed printed no +F line for sha256');
  return Number(line.split(':')[3]);
}

export async function run(): Promise<BenchRow[]> {
  const limits = opensslSignRates();
  const sha256 = opensslSha256BytesPerSecond();
  const pki = await createPkiFixture();
  try {
    const onePage = await makeDocumentPdf();
    const large = await makeLargePdf(10 * 1024 * 1024);
    const signers = benchSigners(pki, limits);
    const rows: BenchRow[] = [];
    for (const [keyName, signer, limit] of signers) {
      for (const [docName, pdf] of [
        ['1-page PDF', onePage],
        ['10 MB PDF', large],
      ] as const) {
        for (const level of ['B-B', 'B-T'] as const) {
          const options = level === 'B-B' ? { signer } : { signer, level, timestampAuthority: pki.tsa.local };
          const measured = await perSecond(() => signPdf(pdf, options));
          const isLarge = docName !== '1-page PDF';
          rows.push({
            group: 'pki',
            name: `sign ${level} ${docName} ${keyName}`,
            value: measured,
            unit: 'sig/s',
            ...(level === 'B-B' && !isLarge ? { target: '≥ 1000/s' } : {}),
            // A large PDF is bound by hashing its bytes, a small one by the private-key operation.
            limit: isLarge
              ? { name: 'openssl sha256 over the same bytes', value: sha256 / pdf.length, unit: 'hash/s' }
              : { ...limit, unit: 'sig/s' },
            note: `${(pdf.length / 1024).toFixed(0)} kB input, one core${level === 'B-T' ? ', in-process TSA' : ''}`,
          });
        }
      }
    }
    return rows;
  } finally {
    await pki.close();
  }
}
