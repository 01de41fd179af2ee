/**
 * Configuration comes only from environment variables, validated once at start. Every
 * mistake is reported on one line that names the variable, what is wrong and what to do.
 */
import os from 'node:os';
import path from 'node:path';

export type Role = 'all' | 'api' | 'worker';

export interface TemporalTls {
  serverName?: string;
  serverRootCaPath?: string;
  clientCertPath?: string;
  clientKeyPath?: string;
}

export interface Config {
  /** HTTP port of the API and web interface. */
  port: number;
  host: string;
  /** Public base URL, used in links, QR codes and certificate CRL/OCSP URLs. */
  publicUrl: string;
  /** Folder for everything the embedded services keep: PostgreSQL, Temporal, keys. */
  dataDir: string;
  /** Folder for downloaded or built tools (the Temporal CLI), outside the repository. */
  cacheDir: string;
  /** The deployment CA, OCSP and TSA keys and the trust store (shared by api and workers). */
  pki: { dir: string; passphrase?: string };
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  database:
    | { kind: 'external'; url: string }
    | { kind: 'embedded'; port: number; database: string; user: string };
  temporal:
    | { kind: 'external'; address: string; namespace: string; tls?: TemporalTls; apiKey?: string }
    | { kind: 'embedded'; port: number; uiPort: number; namespace: string; cliPath?: string };
  taskQueue: string;
  /** Which demo data `start` seeds into an empty database; `none` seeds nothing. */
  seed: 'demo' | 'none';
  /** Minutes between timestamps of the audit chain heads by the TSA. */
  auditAnchorMinutes: number;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

type Env = Record<string, string | undefined>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Reads and validates the environment; throws ConfigError listing every mistake at once. */
export function loadConfig(env: Env = process.env, cwd = process.cwd()): Config {
  const problems: string[] = [];
  const port = readPort(env, 'PORT', 3000, problems);
  const host = env.HOST?.trim() || '127.0.0.1';
  const dataDir = path.resolve(cwd, env.VANTHU_DATA_DIR?.trim() || 'data');
  const cacheDir = path.resolve(
    env.VANTHU_CACHE_DIR?.trim() ||
      path.join(env.XDG_CACHE_HOME?.trim() || path.join(os.homedir(), '.cache'), 'vanthu'),
  );
  const caPassphrase = env.VANTHU_CA_PASSPHRASE;
  if (caPassphrase !== undefined && caPassphrase.length < 8) {
    problems.push('VANTHU_CA_PASSPHRASE must be at least 8 characters long.');
  }
  const pki = {
    dir: path.resolve(cwd, env.VANTHU_PKI_DIR?.trim() || path.join(dataDir, 'pki')),
    ...(caPassphrase ? { passphrase: caPassphrase } : {}),
  };
  const publicUrl = readUrl(
    env,
    'VANTHU_PUBLIC_URL',
    `http://localhost:${port}`,
    ['http:', 'https:'],
    problems,
  );

  const logLevel = (env.LOG_LEVEL?.trim() || 'info') as Config['logLevel'];
  if (!LOG_LEVELS.includes(logLevel)) {
    problems.push(`LOG_LEVEL="${env.LOG_LEVEL}" is not one of ${LOG_LEVELS.join(', ')}.`);
  }

  let database: Config['database'];
  const databaseUrl = env.DATABASE_URL?.trim();
  if (databaseUrl) {
    readUrl(env, 'DATABASE_URL', '', ['postgres:', 'postgresql:'], problems);
    database = { kind: 'external', url: databaseUrl };
  } else {
    database = {
      kind: 'embedded',
      port: readPort(env, 'VANTHU_PG_PORT', 54320, problems),
      database: 'vanthu',
      user: 'vanthu',
    };
  }

  const namespace = env.TEMPORAL_NAMESPACE?.trim() || 'default';
  let temporal: Config['temporal'];
  const address = env.TEMPORAL_ADDRESS?.trim();
  if (address) {
    if (!/^[^\s:/]+:\d{1,5}$/.test(address)) {
      problems.push(
        `TEMPORAL_ADDRESS="${address}" must look like host:port, for example temporal.example.vn:7233.`,
      );
    }
    const tls = readTemporalTls(env, problems);
    temporal = { kind: 'external', address, namespace, ...(tls ? { tls } : {}) };
    const apiKey = env.TEMPORAL_API_KEY?.trim();
    if (apiKey) temporal.apiKey = apiKey;
  } else {
    const temporalPort = readPort(env, 'VANTHU_TEMPORAL_PORT', 7233, problems);
    temporal = {
      kind: 'embedded',
      port: temporalPort,
      uiPort: readPort(env, 'VANTHU_TEMPORAL_UI_PORT', temporalPort + 1000, problems),
      namespace,
    };
    const cliPath = env.TEMPORAL_CLI_PATH?.trim();
    if (cliPath) temporal.cliPath = path.resolve(cwd, cliPath);
  }

  const anchorRaw = env.VANTHU_AUDIT_ANCHOR_MINUTES?.trim();
  const auditAnchorMinutes = anchorRaw ? Number(anchorRaw) : 5;
  if (!Number.isFinite(auditAnchorMinutes) || auditAnchorMinutes < 1 || auditAnchorMinutes > 24 * 60) {
    problems.push(`VANTHU_AUDIT_ANCHOR_MINUTES="${anchorRaw}" must be a number of minutes from 1 to 1440.`);
  }
  const seed = (env.VANTHU_SEED?.trim() || 'demo') as Config['seed'];
  if (seed !== 'demo' && seed !== 'none')
    problems.push(`VANTHU_SEED="${env.VANTHU_SEED}" must be demo or none.`);

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    port,
    host,
    publicUrl: publicUrl.replace(/\/+$/, ''),
    dataDir,
    cacheDir,
    pki,
    logLevel,
    database,
    temporal,
    taskQueue: env.VANTHU_TASK_QUEUE?.trim() || 'vanthu',
    seed,
    auditAnchorMinutes,
  };
}

function readPort(env: Env, name: string, fallback: number, problems: string[]): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    problems.push(`${name}="${raw}" is not a port number (1–65535).`);
    return fallback;
  }
  return value;
}

function readUrl(env: Env, name: string, fallback: string, protocols: string[], problems: string[]): string {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    problems.push(`${name} is not a valid URL (expected ${protocols[0]}//…).`);
    return fallback;
  }
  if (!protocols.includes(url.protocol)) {
    problems.push(
      `${name} must start with ${protocols.map((p) => `${p}//`).join(' or ')}, not ${url.protocol}//.`,
    );
  } else if (!url.hostname) {
    problems.push(`${name} names no host.`);
  }
  return raw;
}

function readTemporalTls(env: Env, problems: string[]): TemporalTls | undefined {
  const tls: TemporalTls = {};
  const files = {
    TEMPORAL_TLS_CA: 'serverRootCaPath',
    TEMPORAL_TLS_CERT: 'clientCertPath',
    TEMPORAL_TLS_KEY: 'clientKeyPath',
  } as const;
  for (const [variable, key] of Object.entries(files)) {
    const value = env[variable]?.trim();
    if (value) tls[key] = value;
  }
  if (Boolean(tls.clientCertPath) !== Boolean(tls.clientKeyPath)) {
    problems.push('TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY must be set together (mutual TLS needs both).');
  }
  const serverName = env.TEMPORAL_TLS_SERVER_NAME?.trim();
  if (serverName) tls.serverName = serverName;
  const wanted = env.TEMPORAL_TLS?.trim().toLowerCase();
  if (wanted && !['true', 'false', '1', '0'].includes(wanted)) {
    problems.push(`TEMPORAL_TLS="${env.TEMPORAL_TLS}" must be true or false.`);
  }
  const enabled = wanted === 'true' || wanted === '1' || Object.keys(tls).length > 0;
  return enabled ? tls : undefined;
}

/** Prints a ConfigError as one line per mistake, for the command line. */
export function describeConfigError(error: ConfigError): string {
  return error.problems.map((p) => `configuration: ${p}`).join('\n');
}
