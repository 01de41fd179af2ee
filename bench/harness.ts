/**
 * Shared benchmark plumbing. A benchmark module (`bench/<name>.bench.ts`) exports
 * `run(): Promise<BenchRow[]>`; bench/run.ts runs the chosen ones, prints one table and
 * writes bench/results.json. Every figure stands beside the machine's own limit measured
 * in the same run, because only ratios compare across machines.
 */
import { execFileSync } from 'node:child_process';
import type { Signer } from '../pki/signer';
import type { PkiFixture } from '../test/support/pki-fixture';

export interface BenchRow {
  /** Issue area, e.g. "foundation", "pki", "lifecycle", "api". */
  group: string;
  /** What was measured, in words a reader understands. */
  name: string;
  value: number;
  unit: string;
  /** The goal from the issue, in words, e.g. "≥ 1000/s". */
  target?: string;
  /** The machine's own limit for the same kind of work, measured in this run. */
  limit?: { name: string; value: number; unit: string };
  note?: string;
}

export interface Benchmark {
  run(): Promise<BenchRow[]>;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function median(values: readonly number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

/**
 * Single-core signing rates from `openssl speed` (sign/s), measured now on this machine.
 * Parsed from the `-mr` (machine readable) output.
 */
export function opensslSignRates(seconds = 3): { rsa2048: number; ecdsaP256: number } {
  const rsa = execFileSync('openssl', ['speed', '-mr', '-seconds', String(seconds), 'rsa2048'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const ec = execFileSync('openssl', ['speed', '-mr', '-seconds', String(seconds), 'ecdsap256'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  // OpenSSL 3 -mr lines: "+F2:<n>:<bits>:<signs/s>:<verifies/s>" (RSA), "+F4:..." (ECDSA)
  const rate = (out: string, tag: string): number => {
    const line = out.split('\n').find((l) => l.startsWith(tag));
    if (!line) throw new Error(`openssl speed printed no ${tag} line`);
    return Number(line.split(':')[3]);
  };
  return { rsa2048: rate(rsa, '+F2:'), ecdsaP256: rate(ec, '+F4:') };
}

/** Runs `op` after `warmUp` untimed runs (JIT, caches) for `seconds`; answers runs per second. */
export async function perSecond(
  op: () => Promise<unknown>,
  options: { seconds?: number; warmUp?: number } = {},
): Promise<number> {
  const seconds = options.seconds ?? Number(process.env.BENCH_SECONDS ?? 3);
  for (let i = 0; i < (options.warmUp ?? 20); i++) await op();
  const start = performance.now();
  const end = start + seconds * 1000;
  let n = 0;
  while (performance.now() < end) {
    await op();
    n++;
  }
  return n / ((performance.now() - start) / 1000);
}

/** The fixture's RSA-2048 and P-256 signers, each beside OpenSSL's raw signing rate. */
export function benchSigners(
  pki: PkiFixture,
  limits: { rsa2048: number; ecdsaP256: number },
): Array<[string, Signer, { name: string; value: number }]> {
  return [
    ['RSA-2048', pki.signers.rsa.signer, { name: 'openssl speed rsa2048 sign', value: limits.rsa2048 }],
    [
      'ECDSA P-256',
      pki.signers.ecdsa.signer,
      { name: 'openssl speed ecdsap256 sign', value: limits.ecdsaP256 },
    ],
  ];
}
