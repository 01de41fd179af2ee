/**
 * `npm run bench [-- name ...]`: runs bench/<name>.bench.ts (all when none is named),
 * prints one table and writes bench/results.json. Rows of benchmarks not run this time are
 * kept from the file, each with the benchmark and the time it was measured.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import path from 'node:path';
import type { Benchmark, BenchRow } from './harness';

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const files = readdirSync(__dirname)
    .filter((f) => f.endsWith('.bench.ts'))
    .filter((f) => wanted.length === 0 || wanted.includes(f.replace('.bench.ts', '')));
  if (files.length === 0) throw new Error(`no benchmark named ${wanted.join(', ')} in bench/`);
  const rows: RecordedRow[] = [];
  for (const file of files) {
    process.stderr.write(`bench: running ${file}…\n`);
    const bench = (await import(path.join(__dirname, file))) as Benchmark;
    const ranAt = new Date().toISOString();
    rows.push(...(await bench.run()).map((row) => ({ bench: file.replace('.bench.ts', ''), ranAt, ...row })));
  }
  printTable(rows);
  const ran = new Set(rows.map((r) => r.bench));
  const kept = previousRows().filter((r) => r.bench && !ran.has(r.bench));
  const result = {
    ranAt: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30) },
    node: process.version,
    rows: [...kept, ...rows],
  };
  writeFileSync(RESULTS, `${JSON.stringify(result, null, 2)}\n`);
  process.stderr.write('bench: wrote bench/results.json\n');
}

type RecordedRow = BenchRow & { bench: string; ranAt: string };

const RESULTS = path.join(__dirname, 'results.json');

/** The rows of the last results file; none when it is missing or unreadable. */
function previousRows(): Partial<RecordedRow>[] {
  if (!existsSync(RESULTS)) return [];
  try {
    const rows = (JSON.parse(readFileSync(RESULTS, 'utf8')) as { rows?: unknown }).rows;
    return Array.isArray(rows) ? (rows as Partial<RecordedRow>[]) : [];
  } catch {
    process.stderr.write('bench: bench/results.json is not readable JSON; writing it anew\n');
    return [];
  }
}

function printTable(rows: readonly BenchRow[]): void {
  const fmt = (n: number): string => (Math.abs(n) >= 100 ? n.toFixed(0) : n.toPrecision(3));
  const table = rows.map((r) => ({
    group: r.group,
    measure: r.name,
    result: `${fmt(r.value)} ${r.unit}`,
    target: r.target ?? '',
    'machine limit': r.limit ? `${r.limit.name}: ${fmt(r.limit.value)} ${r.limit.unit}` : '',
  }));
  console.table(table);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
