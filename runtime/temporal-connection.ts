/**
 * Connections to Temporal for the client (api) and the worker, from configuration:
 * a plain address for the embedded dev server, TLS and API keys for a cluster.
 */
import { readFileSync } from 'node:fs';
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import type { TemporalTls } from './config';

export interface TemporalTarget {
  address: string;
  namespace: string;
  tls?: TemporalTls;
  apiKey?: string;
}

function tlsOptions(tls: TemporalTls | undefined) {
  if (!tls) return undefined;
  return {
    ...(tls.serverName ? { serverNameOverride: tls.serverName } : {}),
    ...(tls.serverRootCaPath ? { serverRootCACertificate: readFileSync(tls.serverRootCaPath) } : {}),
    ...(tls.clientCertPath && tls.clientKeyPath
      ? { clientCertPair: { crt: readFileSync(tls.clientCertPath), key: readFileSync(tls.clientKeyPath) } }
      : {}),
  };
}

export async function connectClient(target: TemporalTarget): Promise<Client> {
  const options: ConnectionOptions = { address: target.address, connectTimeout: 5_000 };
  const tls = tlsOptions(target.tls);
  if (tls) options.tls = tls;
  if (target.apiKey) options.apiKey = target.apiKey;
  let connection: Connection;
  try {
    connection = await Connection.connect(options);
  } catch (error) {
    throw new Error(
      `Temporal at ${target.address} is unreachable: ${(error as Error).message.split('\n')[0]}`,
    );
  }
  return new Client({ connection, namespace: target.namespace });
}

export async function connectWorkerConnection(target: TemporalTarget): Promise<NativeConnection> {
  const options: NativeConnectionOptions = { address: target.address };
  const tls = tlsOptions(target.tls);
  if (tls) options.tls = tls;
  if (target.apiKey) options.apiKey = target.apiKey;
  try {
    return await NativeConnection.connect(options);
  } catch (error) {
    throw new Error(
      `Temporal at ${target.address} is unreachable: ${(error as Error).message.split('\n')[0]}`,
    );
  }
}
