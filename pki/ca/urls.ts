/**
 * The public URLs of a deployment's PKI, all under `${baseUrl}/pki` where the app mounts the
 * handlers of pki/http: CRLs per CA, one OCSP responder, CA certificates, the TSA.
 */
import { PkiError } from '../errors';

export const PKI_MOUNT = '/pki';

/** Validates and normalises a public base URL (http or https, no query, no trailing slash). */
export function normaliseBaseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new PkiError('invalid_input', `"${value}" is not a valid URL for the public base address.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new PkiError(
      'invalid_input',
      `The public base address must use http or https, not ${url.protocol}`,
    );
  }
  if (url.search || url.hash || url.username || url.password) {
    throw new PkiError(
      'invalid_input',
      'The public base address must not carry a query, fragment or credentials.',
    );
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

export function pkiUrls(baseUrl: string) {
  const root = `${normaliseBaseUrl(baseUrl)}${PKI_MOUNT}`;
  return {
    crl: (caName: string) => `${root}/crl/${caName}.crl`,
    caCertificate: (caName: string) => `${root}/certs/${caName}.crt`,
    ocsp: `${root}/ocsp`,
    tsa: `${root}/tsa`,
  };
}
