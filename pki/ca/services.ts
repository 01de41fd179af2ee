/**
 * The online side of our CA, for the process that serves /pki: current CRLs, the OCSP
 * responder (statuses read from the store on every request), the TSA, CA certificates, and
 * in-process TimestampAuthority / RevocationSource implementations over them.
 *
 * Lifecycle: `PkiServices.open(store, passphrase)` unlocks the issuing CA (to re-sign CRLs
 * as they age), the OCSP responder keys and the TSA key, and keeps them in memory until
 * close() — an online responder or TSA must sign unattended. Person and seal keys are never
 * held here.
 */
import { parseCertificate } from '../crypto/certificate';
import { decryptPrivateKey } from '../crypto/keys';
import { PkiError } from '../errors';
import { KeyObjectSigner } from '../keys/key-object-signer';
import type { RevocationSource, TimestampAuthority } from '../providers';
import { basicResponseOf, buildOcspRequest } from '../revocation/ocsp-client';
import type { CertificateStatus } from '../revocation/ocsp-common';
import { OcspResponder } from '../revocation/ocsp-responder';
import type { TrustStore } from '../trust/store';
import { LocalTimestampAuthority } from '../tsa/client';
import { TimestampServer } from '../tsa/server';
import { CertificateAuthority } from './authority';
import type { CaStore } from './store';

export interface PkiServicesOptions {
  /** OCSP answer validity (nextUpdate − thisUpdate) in minutes. */
  ocspValidityMinutes?: number;
  crlValidityHours?: number;
  /** PBKDF2 iterations for keys the CA generates (tests lower it; production keeps the default). */
  kdfIterations?: number;
}

export class PkiServices {
  private constructor(
    readonly ca: CertificateAuthority,
    readonly ocsp: OcspResponder,
    readonly tsa: TimestampServer,
    private readonly signers: KeyObjectSigner[],
  ) {}

  static async open(
    store: CaStore,
    passphrase: string,
    options: PkiServicesOptions = {},
  ): Promise<PkiServices> {
    const ca = await CertificateAuthority.open(store, passphrase, {
      ...(options.crlValidityHours === undefined ? {} : { crlValidityHours: options.crlValidityHours }),
      ...(options.kdfIterations === undefined ? {} : { kdfIterations: options.kdfIterations }),
    });
    const signers: KeyObjectSigner[] = [];
    const credentials = await store.listCredentials();
    const responders = [];
    let tsa: TimestampServer | null = null;
    for (const credential of credentials) {
      const signer = new KeyObjectSigner({
        privateKey: decryptPrivateKey(credential.encryptedKey, passphrase),
        certificate: credential.certificate,
        chain: ca.chainFor(credential.caName),
        purpose: credential.kind === 'tsa' ? 'timestamp' : 'ocsp',
      });
      signers.push(signer);
      if (credential.kind === 'tsa') {
        tsa = new TimestampServer({ signer });
      } else {
        responders.push({
          caName: credential.caName,
          caCertificate: ca.certificate(credential.caName),
          signer,
        });
      }
    }
    if (!tsa) throw new PkiError('not_found', 'No TSA credential is installed in this CA store.');
    if (responders.length === 0)
      throw new PkiError('not_found', 'No OCSP responder credential is installed.');
    const lookup = async (caName: string, serial: string): Promise<CertificateStatus> => {
      const record = await store.findIssued(caName, serial);
      if (!record) return { status: 'unknown' };
      if (record.revocation) {
        return {
          status: 'revoked',
          time: new Date(record.revocation.time),
          reason: record.revocation.reason,
        };
      }
      return { status: 'good' };
    };
    const ocsp = new OcspResponder(
      responders,
      lookup,
      options.ocspValidityMinutes === undefined ? {} : { validityMinutes: options.ocspValidityMinutes },
    );
    return new PkiServices(ca, ocsp, tsa, signers);
  }

  /** DER certificate of a CA by name, or null. */
  caCertificate(name: string): Uint8Array | null {
    try {
      return this.ca.certificate(name);
    } catch {
      return null;
    }
  }

  /** The current DER CRL of a CA (re-issued when revocations happened or it ages). */
  async crl(name: string): Promise<Uint8Array> {
    return (await this.ca.currentCrl(name)).der;
  }

  timestampAuthority(options: { trust?: TrustStore } = {}): TimestampAuthority & LocalTimestampAuthority {
    return new LocalTimestampAuthority(this.tsa, options);
  }

  revocationSource(): RevocationSource {
    return new LocalRevocationSource(this);
  }

  async close(): Promise<void> {
    for (const signer of this.signers) await signer.close();
    await this.ca.close();
  }
}

/** RevocationSource answered by our own CA in this process (no network). */
export class LocalRevocationSource implements RevocationSource {
  constructor(private readonly services: PkiServices) {}

  async ocsp(certificate: Uint8Array, issuer: Uint8Array): Promise<Uint8Array | null> {
    const request = buildOcspRequest(certificate, issuer, { nonce: false });
    const response = await this.services.ocsp.respond(request.der);
    try {
      basicResponseOf(response); // an error status (e.g. unauthorized for another CA) is no answer
      return response;
    } catch {
      return null;
    }
  }

  async crls(certificate: Uint8Array): Promise<Uint8Array[]> {
    const cert = parseCertificate(certificate);
    for (const name of [this.services.ca.issuingName, this.services.ca.rootName]) {
      if (parseCertificate(this.services.ca.certificate(name)).subject.isEqual(cert.issuer)) {
        return [await this.services.crl(name)];
      }
    }
    return [];
  }
}
