/**
 * The deployment's own PKI: a CA, OCSP responder and TSA under `<data>/pki`, for a
 * deployment that has none of its own. `vanthu start` creates it on first start; api and
 * worker processes open it. The CA keys are encrypted at rest with VANTHU_CA_PASSPHRASE,
 * or with a generated passphrase kept beside them (mode 0600) for the embedded demo.
 *
 * Trust is explicit: the trust store is `<data>/pki/trust`. On creation the deployment's
 * own root is imported there, and this is logged; `vanthu trust import` adds real
 * anchors. Nothing else trusts the demo root.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CertificateAuthority } from '../pki/ca/authority';
import { FileCaStore } from '../pki/ca/file-store';
import { PkiServices } from '../pki/ca/services';
import type { RevocationSource, TimestampAuthority } from '../pki/providers';
import { importTrustFile, loadTrustStore } from '../pki/trust/directory';
import type { TrustStore } from '../pki/trust/store';
import type { Logger } from './logger';

export interface DeploymentPki {
  services: PkiServices;
  trust: TrustStore;
  tsa: TimestampAuthority;
  revocation: RevocationSource;
  dir: string;
  close(): Promise<void>;
}

export interface PkiLocation {
  /** `<data>/pki`, or VANTHU_PKI_DIR (a folder shared by several processes). */
  dir: string;
  publicUrl: string;
  passphrase?: string;
  organization?: string;
  /**
   * Test systems only: weaker key encryption and P-256 CA keys make a throwaway CA in a
   * second instead of twenty. Production keeps the library's defaults.
   */
  throwaway?: boolean;
}

const THROWAWAY_KDF_ITERATIONS = 2_000;

function passphraseFor(location: PkiLocation, create: boolean): string {
  if (location.passphrase) return location.passphrase;
  const file = path.join(location.dir, 'ca.passphrase');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  if (!create) {
    throw new Error(`the CA in ${location.dir} is locked: set VANTHU_CA_PASSPHRASE`);
  }
  const generated = randomBytes(32).toString('base64url');
  writeFileSync(file, `${generated}\n`, { mode: 0o600 });
  return generated;
}

/**
 * Opens the deployment's CA services; with `create`, sets the CA up first when there is
 * none (the all-in-one `vanthu start`). Operator processes must not race to create one.
 */
export async function openDeploymentPki(
  location: PkiLocation,
  logger: Logger,
  options: { create: boolean },
): Promise<DeploymentPki> {
  mkdirSync(location.dir, { recursive: true, mode: 0o700 });
  const store = new FileCaStore(path.join(location.dir, 'ca'));
  const trustDir = path.join(location.dir, 'trust');
  if (!(await store.readDeployment())) {
    if (!options.create) {
      throw new Error(
        `no certificate authority in ${location.dir}; run \`npx vanthu ca init\` once, or \`npm start\``,
      );
    }
    const passphrase = passphraseFor(location, true);
    logger.info({ dir: location.dir }, 'creating the deployment CA, OCSP responder and TSA (first start)');
    const ca = await CertificateAuthority.init(store, {
      passphrase,
      baseUrl: location.publicUrl,
      organization: location.organization ?? 'vanthu',
      ...(location.throwaway ? { keyType: 'ec-p256' as const, kdfIterations: THROWAWAY_KDF_ITERATIONS } : {}),
    });
    const root = ca.certificate(ca.rootName);
    await ca.close();
    await importTrustFile(trustDir, root, { kind: 'anchor' });
    logger.info(
      { trust: trustDir },
      'the deployment trusts its own root CA; import real trust anchors with `vanthu trust import`',
    );
  }
  const services = await PkiServices.open(
    store,
    passphraseFor(location, false),
    location.throwaway ? { kdfIterations: THROWAWAY_KDF_ITERATIONS } : {},
  );
  const trust = await loadTrustStore(trustDir);
  return {
    services,
    trust,
    tsa: services.timestampAuthority({ trust }),
    revocation: services.revocationSource(),
    dir: location.dir,
    close: () => services.close(),
  };
}
