/**
 * PKCS#12 (.p12/.pfx) files: write a key with its certificate chain, read one back, or read
 * only the certificates (for the trust store).
 *
 * Written files: the key in a pkcs8ShroudedKeyBag encrypted with PBES2/PBKDF2-SHA256/AES-256
 * (our encryptPrivateKey), certificates in a plain SafeContents (they are public), and an
 * HMAC-SHA256 integrity MAC keyed with the PKCS#12 KDF (node-forge). node-forge's own
 * writer handles RSA keys only and its reader derives PBES2 keys in pure JavaScript, which
 * is seconds at today's iteration counts; so the structure is ours, the PKCS#12 KDF and the
 * legacy PKCS#12 ciphers (3DES, RC2 of older OpenSSL files) are forge's, and PBES2 runs in
 * Node's OpenSSL.
 */
import {
  createDecipheriv,
  createHash,
  createHmac,
  type KeyObject,
  pbkdf2Sync,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import * as asn1js from 'asn1js';
import forge from 'node-forge';
import { certificateDer, parseCertificate, subjectPublicKeyInfoDer } from '../crypto/certificate';
import { bytesEqual, toArrayBuffer } from '../crypto/encoding';
import { decryptPrivateKey, encryptPrivateKey, spkiOf } from '../crypto/keys';
import { OID } from '../crypto/oids';
import { PkiError } from '../errors';

const P12 = {
  keyBag: '1.2.840.113549.1.12.10.1.1',
  shroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',
  encryptedData: '1.2.840.113549.1.7.6',
} as const;

/** Upper bound on iteration counts we agree to run, so a hostile file cannot hang us. */
const MAX_ITERATIONS = 10_000_000;
export const DEFAULT_MAC_ITERATIONS = 100_000;

export interface Pkcs12Contents {
  /** Null when the file holds certificates only. */
  privateKey: KeyObject | null;
  /** The certificate matching the key (or the first certificate when there is no key). */
  certificate: Uint8Array | null;
  /** The other certificates, nearest issuer first when they chain. */
  chain: Uint8Array[];
  /** Every certificate in the file, in file order. */
  certificates: Uint8Array[];
}

export interface WritePkcs12Options {
  friendlyName?: string;
  /** PBKDF2 iterations of the key encryption. */
  iterations?: number;
  /** PKCS#12-KDF iterations of the MAC key. */
  macIterations?: number;
}

// ---------------------------------------------------------------- writing

function attribute(oid: string, value: asn1js.AsnType): asn1js.Sequence {
  return new asn1js.Sequence({
    value: [new asn1js.ObjectIdentifier({ value: oid }), new asn1js.Set({ value: [value] })],
  });
}

function safeBag(bagId: string, value: asn1js.AsnType, attributes: asn1js.Sequence[]): asn1js.Sequence {
  const items: asn1js.AsnType[] = [
    new asn1js.ObjectIdentifier({ value: bagId }),
    new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value: [value] }),
  ];
  if (attributes.length > 0) items.push(new asn1js.Set({ value: attributes }));
  return new asn1js.Sequence({ value: items });
}

function dataContentInfo(content: Uint8Array): asn1js.Sequence {
  return new asn1js.Sequence({
    value: [
      new asn1js.ObjectIdentifier({ value: OID.data }),
      new asn1js.Constructed({
        idBlock: { tagClass: 3, tagNumber: 0 },
        value: [new asn1js.OctetString({ valueHex: content })],
      }),
    ],
  });
}

function bmpString(text: string): asn1js.BmpString {
  return new asn1js.BmpString({ value: text });
}

function binary(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('binary');
}

function pkcs12MacKey(password: string, salt: Uint8Array, iterations: number): Buffer {
  const key = forge.pkcs12.generateKey(
    password,
    forge.util.createBuffer(binary(salt)),
    3,
    iterations,
    32,
    forge.md.sha256.create(),
  );
  return Buffer.from(key.getBytes(), 'binary');
}

/** A PKCS#12 file holding `privateKey`, its `certificate` and the `chain` (DER). */
export async function writePkcs12(
  privateKey: KeyObject,
  certificate: Uint8Array,
  chain: readonly Uint8Array[],
  passphrase: string,
  options: WritePkcs12Options = {},
): Promise<Uint8Array> {
  const leaf = parseCertificate(certificate);
  if (!bytesEqual(subjectPublicKeyInfoDer(leaf), spkiOf(privateKey))) {
    throw new PkiError('invalid_input', 'The certificate does not belong to the private key.');
  }
  const macIterations = options.macIterations ?? DEFAULT_MAC_ITERATIONS;
  const localKeyId = new Uint8Array(createHash('sha256').update(certificate).digest());
  const leafAttributes = [attribute(P12.localKeyId, new asn1js.OctetString({ valueHex: localKeyId }))];
  if (options.friendlyName) leafAttributes.push(attribute(P12.friendlyName, bmpString(options.friendlyName)));

  const certBag = (der: Uint8Array, attributes: asn1js.Sequence[]) =>
    safeBag(
      P12.certBag,
      new asn1js.Sequence({
        value: [
          new asn1js.ObjectIdentifier({ value: P12.x509Certificate }),
          new asn1js.Constructed({
            idBlock: { tagClass: 3, tagNumber: 0 },
            value: [new asn1js.OctetString({ valueHex: der })],
          }),
        ],
      }),
      attributes,
    );
  const certContents = new asn1js.Sequence({
    value: [certBag(certificate, leafAttributes), ...chain.map((der) => certBag(der, []))],
  });

  const encryptedPem = await encryptPrivateKey(
    privateKey,
    passphrase,
    options.iterations === undefined ? {} : { iterations: options.iterations },
  );
  const encryptedDer = Buffer.from(encryptedPem.replace(/-----[A-Z ]+-----|\s+/g, ''), 'base64');
  const keyInfo = asn1js.fromBER(toArrayBuffer(encryptedDer)).result;
  const keyContents = new asn1js.Sequence({ value: [safeBag(P12.shroudedKeyBag, keyInfo, leafAttributes)] });

  const authenticatedSafe = new Uint8Array(
    new asn1js.Sequence({
      value: [
        dataContentInfo(new Uint8Array(certContents.toBER(false))),
        dataContentInfo(new Uint8Array(keyContents.toBER(false))),
      ],
    }).toBER(false),
  );
  const macSalt = new Uint8Array(randomBytes(16));
  const mac = createHmac('sha256', pkcs12MacKey(passphrase, macSalt, macIterations))
    .update(authenticatedSafe)
    .digest();
  const pfx = new asn1js.Sequence({
    value: [
      new asn1js.Integer({ value: 3 }),
      dataContentInfo(authenticatedSafe),
      new asn1js.Sequence({
        value: [
          new asn1js.Sequence({
            value: [
              new asn1js.Sequence({
                value: [new asn1js.ObjectIdentifier({ value: OID.sha256 }), new asn1js.Null()],
              }),
              new asn1js.OctetString({ valueHex: mac }),
            ],
          }),
          new asn1js.OctetString({ valueHex: macSalt }),
          new asn1js.Integer({ value: macIterations }),
        ],
      }),
    ],
  });
  return new Uint8Array(pfx.toBER(false));
}

// ---------------------------------------------------------------- reading

function malformed(detail: string): PkiError {
  return new PkiError('invalid_input', `The PKCS#12 file is malformed: ${detail}.`);
}

function parseDer(bytes: Uint8Array, what: string): asn1js.AsnType {
  const parsed = asn1js.fromBER(toArrayBuffer(bytes));
  if (parsed.offset === -1) throw malformed(`${what} is not DER`);
  return parsed.result;
}

function items(node: asn1js.AsnType | undefined, what: string): asn1js.AsnType[] {
  if (
    !(node instanceof asn1js.Sequence) &&
    !(node instanceof asn1js.Set) &&
    !(node instanceof asn1js.Constructed)
  ) {
    throw malformed(`${what} is not a structure`);
  }
  return node.valueBlock.value;
}

function oidOf(node: asn1js.AsnType | undefined, what: string): string {
  if (!(node instanceof asn1js.ObjectIdentifier)) throw malformed(`${what} is not an OID`);
  return node.valueBlock.toString();
}

/** Bytes of an OCTET STRING, primitive or constructed (BER), or of an IMPLICIT-tagged one. */
function octets(node: asn1js.AsnType | undefined, what: string): Uint8Array {
  if (node === undefined) throw malformed(`${what} is missing`);
  const block = node as asn1js.AsnType & {
    valueBlock: { isConstructed?: boolean; value?: asn1js.AsnType[]; valueHexView?: Uint8Array };
  };
  if (block.idBlock.isConstructed) {
    const parts = (block.valueBlock.value ?? []).map((part) => octets(part, what));
    return new Uint8Array(Buffer.concat(parts));
  }
  if (block.valueBlock.valueHexView) return block.valueBlock.valueHexView.slice();
  throw malformed(`${what} is not an OCTET STRING`);
}

function explicitContent(node: asn1js.AsnType | undefined, what: string): asn1js.AsnType {
  const inner = items(node, what)[0];
  if (!inner) throw malformed(`${what} is empty`);
  return inner;
}

function integerOf(node: asn1js.AsnType | undefined, fallback: number): number {
  return node instanceof asn1js.Integer ? node.valueBlock.valueDec : fallback;
}

interface ForgePbe {
  getCipher(oid: string, params: forge.asn1.Asn1, password: string): forge.cipher.BlockCipher;
}

/** Decrypts an EncryptedData content (certificates in files made by OpenSSL and others). */
function decryptContent(algorithm: asn1js.AsnType, ciphertext: Uint8Array, password: string): Uint8Array {
  const [algOid, params] = items(algorithm, 'content encryption algorithm');
  const oid = oidOf(algOid, 'content encryption algorithm');
  if (oid === OID.pbes2) {
    const [kdf, scheme] = items(params, 'PBES2 parameters');
    const [kdfOid, kdfParams] = items(kdf, 'PBES2 key derivation');
    if (oidOf(kdfOid, 'PBES2 key derivation') !== OID.pbkdf2) throw malformed('PBES2 without PBKDF2');
    const [salt, count, third, fourth] = items(kdfParams, 'PBKDF2 parameters');
    const iterations = integerOf(count, 0);
    if (iterations < 1 || iterations > MAX_ITERATIONS) throw malformed('PBKDF2 iteration count out of range');
    const prfNode = third instanceof asn1js.Sequence ? third : fourth;
    const prf = prfNode ? oidOf(items(prfNode, 'PBKDF2 PRF')[0], 'PBKDF2 PRF') : '1.2.840.113549.2.7';
    const prfHash: Record<string, string> = {
      '1.2.840.113549.2.7': 'sha1',
      '1.2.840.113549.2.9': 'sha256',
      '1.2.840.113549.2.10': 'sha384',
      '1.2.840.113549.2.11': 'sha512',
    };
    const [schemeOid, ivNode] = items(scheme, 'PBES2 encryption scheme');
    const ciphers: Record<string, [string, number]> = {
      '2.16.840.1.101.3.4.1.2': ['aes-128-cbc', 16],
      '2.16.840.1.101.3.4.1.22': ['aes-192-cbc', 24],
      '2.16.840.1.101.3.4.1.42': ['aes-256-cbc', 32],
      '1.2.840.113549.3.7': ['des-ede3-cbc', 24],
    };
    const cipher = ciphers[oidOf(schemeOid, 'PBES2 cipher')];
    const hash = prfHash[prf];
    if (!cipher || !hash) throw malformed('unsupported PBES2 cipher or PRF');
    const key = pbkdf2Sync(Buffer.from(password, 'utf8'), octets(salt, 'salt'), iterations, cipher[1], hash);
    const decipher = createDecipheriv(cipher[0], key, octets(ivNode, 'IV'));
    try {
      return new Uint8Array(Buffer.concat([decipher.update(ciphertext), decipher.final()]));
    } catch {
      throw new PkiError('wrong_passphrase', 'The passphrase does not open this PKCS#12 file.');
    }
  }
  // Legacy PKCS#12 PBE (pbeWithSHAAnd3-KeyTripleDES-CBC, pbeWithSHAAnd40BitRC2-CBC …): forge.
  const paramsDer = params ? new Uint8Array(params.toBER(false)) : new Uint8Array(0);
  const forgeParams = forge.asn1.fromDer(forge.util.createBuffer(binary(paramsDer)));
  const pbe = (forge.pki as unknown as { pbe: ForgePbe }).pbe;
  let decipher: forge.cipher.BlockCipher;
  try {
    decipher = pbe.getCipher(oid, forgeParams, password);
  } catch (error) {
    throw new PkiError('invalid_input', `The PKCS#12 file uses an unsupported cipher (${oid}).`, {
      cause: error,
    });
  }
  decipher.update(forge.util.createBuffer(binary(ciphertext)));
  if (!decipher.finish())
    throw new PkiError('wrong_passphrase', 'The passphrase does not open this PKCS#12 file.');
  return new Uint8Array(Buffer.from(decipher.output.getBytes(), 'binary'));
}

function verifyMac(pfx: asn1js.AsnType[], content: Uint8Array, password: string): void {
  const macData = pfx[2];
  if (macData === undefined) return;
  const [digestInfo, saltNode, iterNode] = items(macData, 'MAC data');
  const [algorithm, value] = items(digestInfo, 'MAC digest');
  const hashOid = oidOf(items(algorithm, 'MAC algorithm')[0], 'MAC algorithm');
  const hashes: Record<string, [string, number, () => forge.md.MessageDigest]> = {
    [OID.sha1]: ['sha1', 20, () => forge.md.sha1.create()],
    [OID.sha256]: ['sha256', 32, () => forge.md.sha256.create()],
    [OID.sha384]: ['sha384', 48, () => forge.md.sha384.create()],
    [OID.sha512]: ['sha512', 64, () => forge.md.sha512.create()],
  };
  const hash = hashes[hashOid];
  if (!hash) throw new PkiError('invalid_input', `The PKCS#12 file uses an unsupported MAC (${hashOid}).`);
  const iterations = integerOf(iterNode, 1);
  if (iterations < 1 || iterations > MAX_ITERATIONS) throw malformed('MAC iteration count out of range');
  const salt = octets(saltNode, 'MAC salt');
  const key = forge.pkcs12.generateKey(
    password,
    forge.util.createBuffer(binary(salt)),
    3,
    iterations,
    hash[1],
    hash[2](),
  );
  const expected = createHmac(hash[0], Buffer.from(key.getBytes(), 'binary')).update(content).digest();
  const actual = Buffer.from(octets(value, 'MAC value'));
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    throw new PkiError('wrong_passphrase', 'The passphrase does not open this PKCS#12 file.');
  }
}

/** Orders `others` as a chain starting from the issuer of `leaf` where names allow. */
function orderChain(leaf: Uint8Array | null, others: Uint8Array[]): Uint8Array[] {
  if (!leaf) return others;
  const remaining = others.map((der) => ({ der, cert: parseCertificate(der) }));
  const ordered: Uint8Array[] = [];
  let current = parseCertificate(leaf);
  while (remaining.length > 0) {
    const index = remaining.findIndex((c) => c.cert.subject.isEqual(current.issuer));
    if (index < 0 || current.subject.isEqual(current.issuer)) break;
    const [next] = remaining.splice(index, 1);
    if (!next) break;
    ordered.push(next.der);
    current = next.cert;
  }
  return [...ordered, ...remaining.map((c) => c.der)];
}

/**
 * Opens a PKCS#12 file. Wrong passphrase → wrong_passphrase; damaged file → invalid_input.
 * `requireKey` refuses files without an (encrypted) private key.
 */
export function readPkcs12(
  bytes: Uint8Array,
  passphrase: string,
  options: { requireKey?: boolean } = {},
): Pkcs12Contents {
  const pfx = items(parseDer(bytes, 'the file'), 'PFX');
  if (integerOf(pfx[0], 0) !== 3) throw malformed('version is not 3');
  const authSafe = items(pfx[1], 'authSafe');
  if (oidOf(authSafe[0], 'authSafe type') !== OID.data)
    throw malformed('authSafe is not plain data (public-key mode)');
  const content = octets(explicitContent(authSafe[1], 'authSafe content'), 'authSafe content');
  verifyMac(pfx, content, passphrase);

  const certificates: Uint8Array[] = [];
  const keys: KeyObject[] = [];
  let unencryptedKey = false;
  for (const info of items(parseDer(content, 'authenticated safe'), 'authenticated safe')) {
    const [typeNode, wrapped] = items(info, 'content info');
    const type = oidOf(typeNode, 'content type');
    let safeContents: Uint8Array;
    if (type === OID.data) {
      safeContents = octets(explicitContent(wrapped, 'data'), 'data');
    } else if (type === P12.encryptedData) {
      const encrypted = items(explicitContent(wrapped, 'encrypted data'), 'encrypted data');
      const [, algorithm, ciphertext] = items(encrypted[1], 'encrypted content info');
      if (!algorithm) throw malformed('encrypted content without algorithm');
      safeContents = decryptContent(algorithm, octets(ciphertext, 'encrypted content'), passphrase);
    } else {
      throw malformed(`unsupported content type ${type}`);
    }
    for (const bag of items(parseDer(safeContents, 'safe contents'), 'safe contents')) {
      const [bagIdNode, bagValue] = items(bag, 'safe bag');
      const bagId = oidOf(bagIdNode, 'bag type');
      if (bagId === P12.certBag) {
        const [certType, certValue] = items(explicitContent(bagValue, 'cert bag'), 'cert bag');
        if (oidOf(certType, 'certificate type') !== P12.x509Certificate) continue;
        const der = octets(explicitContent(certValue, 'certificate'), 'certificate');
        certificates.push(certificateDer(parseCertificate(der, 'certificate in the PKCS#12 file')));
      } else if (bagId === P12.shroudedKeyBag) {
        keys.push(
          decryptPrivateKey(new Uint8Array(explicitContent(bagValue, 'key bag').toBER(false)), passphrase),
        );
      } else if (bagId === P12.keyBag) {
        unencryptedKey = true;
      }
    }
  }
  if (unencryptedKey && keys.length === 0) {
    throw new PkiError('invalid_input', 'The PKCS#12 file holds its private key unencrypted; it is refused.');
  }
  if (keys.length > 1)
    throw new PkiError('invalid_input', 'The PKCS#12 file holds more than one private key.');
  const privateKey = keys[0] ?? null;
  if (options.requireKey && !privateKey)
    throw new PkiError('invalid_input', 'The PKCS#12 file holds no private key.');
  let certificate: Uint8Array | null = certificates[0] ?? null;
  if (privateKey) {
    const spki = spkiOf(privateKey);
    certificate =
      certificates.find((der) => bytesEqual(subjectPublicKeyInfoDer(parseCertificate(der)), spki)) ?? null;
    if (!certificate) {
      throw new PkiError('invalid_input', 'The PKCS#12 file holds no certificate for its private key.');
    }
  }
  const others = certificates.filter((der) => der !== certificate);
  return { privateKey, certificate, chain: orderChain(certificate, others), certificates };
}
