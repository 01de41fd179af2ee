/**
 * Outside judges for the signing tests: poppler's pdfsig (with an NSS db), OpenSSL
 * (cms -verify, ts -verify) and pyHanko (Python API: signature status, difference
 * analysis, LTV from the DSS alone). Also an OpenSSL-run TSA, so timestamps are checked
 * against a second, independent implementation. All commands run asynchronously: the test
 * fixture's OCSP/CRL server lives in this process and must keep answering while they run.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { existingSignatures } from '../../pki/pades/existing';
import { PdfReader } from '../../pki/pdf/reader';
import type { TimestampAuthority } from '../../pki/providers';
import type { HashAlgorithm } from '../../pki/signer';
import type { PkiFixture } from '../support/pki-fixture';

const run = promisify(execFile);

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function command(file: string, args: string[], timeoutMs = 60_000): Promise<CommandResult> {
  try {
    const { stdout, stderr } = await run(file, args, {
      encoding: 'utf8',
      timeout: timeoutMs,
      maxBuffer: 64 << 20,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number | string; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw error;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

export interface PdfsigSignature {
  field: string;
  signatureValid: boolean;
  certificateTrusted: boolean;
  subFilter: string;
  text: string;
}

/** Runs pdfsig and splits its report per signature. */
export async function pdfsig(file: string, nssDir: string): Promise<PdfsigSignature[]> {
  const { stdout, stderr, code } = await command('pdfsig', ['-nssdir', `sql:${nssDir}`, file]);
  if (code !== 0 && !stdout.includes('Signature #')) throw new Error(`pdfsig failed (${code}): ${stderr}`);
  return stdout
    .split(/^Signature #\d+:$/m)
    .slice(1)
    .map((text) => ({
      field: /Signature Field Name: (.*)$/m.exec(text)?.[1]?.trim() ?? '',
      signatureValid: /Signature Validation: Signature is Valid\./.test(text),
      certificateTrusted: /Certificate Validation: Certificate is Trusted\./.test(text),
      subFilter: /Signature Type: (.*)$/m.exec(text)?.[1]?.trim() ?? '',
      text,
    }));
}

export interface ExtractedSignature {
  fieldName: string;
  type: string;
  cms: Uint8Array;
  signedBytes: Uint8Array;
}

/** The CMS and the signed bytes of each signature, cut out by /ByteRange. */
export function extractSignatures(pdf: Uint8Array): ExtractedSignature[] {
  const reader = PdfReader.open(pdf);
  return existingSignatures(reader).map((s) => {
    const [a, b, c, d] = s.byteRange;
    return {
      fieldName: s.fieldName,
      type: s.type,
      cms: s.cms,
      signedBytes: Buffer.concat([pdf.subarray(a, a + b), pdf.subarray(c, c + d)]),
    };
  });
}

/** `openssl cms -verify` of a detached CAdES signature against the root. */
export async function opensslCmsVerify(
  dir: string,
  sig: ExtractedSignature,
  caFile: string,
): Promise<CommandResult> {
  const cms = path.join(dir, `${sig.fieldName}.p7s`);
  const content = path.join(dir, `${sig.fieldName}.content`);
  writeFileSync(cms, sig.cms);
  writeFileSync(content, sig.signedBytes);
  return command('openssl', [
    'cms',
    '-verify',
    '-binary',
    '-inform',
    'DER',
    '-in',
    cms,
    '-content',
    content,
    '-CAfile',
    caFile,
    '-purpose',
    'any',
    '-out',
    path.join(dir, 'verified.out'),
  ]);
}

/** `openssl ts -verify` of a timestamp token over `data` (or a given hex digest). */
export async function opensslTsVerify(
  dir: string,
  token: Uint8Array,
  over: { data: Uint8Array } | { digestHex: string },
  caFile: string,
  untrusted: string,
): Promise<CommandResult> {
  const tokenFile = path.join(dir, `token-${Date.now()}-${Math.random().toString(36).slice(2)}.der`);
  writeFileSync(tokenFile, token);
  const args = ['ts', '-verify', '-token_in', '-in', tokenFile, '-CAfile', caFile, '-untrusted', untrusted];
  if ('data' in over) {
    const dataFile = `${tokenFile}.data`;
    writeFileSync(dataFile, over.data);
    args.push('-data', dataFile);
  } else args.push('-digest', over.digestHex);
  return command('openssl', args);
}

export interface PyHankoSignature {
  field: string;
  type: '/Sig' | '/DocTimeStamp';
  intact: boolean;
  valid: boolean;
  trusted: boolean;
  bottom_line: boolean;
  coverage?: string;
  modification_level?: string | null;
  docmdp_ok?: boolean;
  has_timestamp?: boolean;
  timestamp_ok?: boolean | null;
  /** With `ltv`: trusted using only the DSS's certificates and revocation data, no fetching. */
  ltv_trusted?: boolean;
  ltv_timestamp_ok?: boolean | null;
  /** With `ltv`: pyHanko's AdES LTA validation (ETSI EN 319 102-1 §5.6.3), DSS only, no fetching. */
  ades_lta?: string | null;
  ades_lta_bottom_line?: boolean;
  /** A document timestamp (evidence record) covers the signature. */
  archive_timestamp?: boolean;
  error?: string;
}

const PYHANKO_SCRIPT = `
import sys, json, asyncio
from asn1crypto import pem, x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.ades import ades_lta_validation
from pyhanko.sign.validation.policy_decl import (PdfSignatureValidationSpec, SignatureValidationSpec,
    RevocationInfoGatheringSpec, RevinfoOnlineFetchingRule)
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.registry import SimpleTrustManager
from pyhanko_certvalidator.policy_decl import CertRevTrustPolicy, RevocationCheckingPolicy, RevocationCheckingRule

def load(path):
    data = open(path, 'rb').read()
    if pem.detect(data):
        _, _, data = pem.unarmor(data)
    return x509.Certificate.load(data)

def lta_spec(root):
    rule = RevocationCheckingRule.CRL_OR_OCSP_REQUIRED
    policy = CertValidationPolicySpec(trust_manager=SimpleTrustManager.build(trust_roots=[root]),
        revinfo_policy=CertRevTrustPolicy(RevocationCheckingPolicy(ee_certificate_rule=rule,
                                                                   intermediate_ca_cert_rule=rule)))
    return PdfSignatureValidationSpec(SignatureValidationSpec(cert_validation_policy=policy,
        revinfo_gathering_policy=RevocationInfoGatheringSpec(
            online_fetching_rule=RevinfoOnlineFetchingRule.LOCAL_ONLY)))

pdf, root, mode = sys.argv[1], load(sys.argv[2]), sys.argv[3]
with open(pdf, 'rb') as f:
    r = PdfFileReader(f, strict=(mode != 'lenient'))
    out = []
    for sig in r.embedded_signatures:
        entry = {'field': sig.field_name, 'type': str(sig.sig_object_type)}
        try:
            vc = ValidationContext(trust_roots=[root], allow_fetching=False)
            if str(sig.sig_object_type) == '/DocTimeStamp':
                st = validate_pdf_timestamp(sig, validation_context=vc)
                entry.update(intact=st.intact, valid=st.valid, trusted=st.trusted,
                             bottom_line=bool(st.intact and st.valid and st.trusted), coverage=st.coverage.name,
                             modification_level=st.modification_level.name if st.modification_level else None)
            else:
                st = validate_pdf_signature(sig, vc, ts_validation_context=vc)
                ts = st.timestamp_validity
                entry.update(intact=st.intact, valid=st.valid, trusted=st.trusted, bottom_line=st.bottom_line,
                             coverage=st.coverage.name,
                             modification_level=st.modification_level.name if st.modification_level else None,
                             docmdp_ok=st.docmdp_ok, has_timestamp=ts is not None,
                             timestamp_ok=(ts.valid and ts.intact and ts.trusted) if ts else None)
                if mode == 'ltv':
                    dss = DocumentSecurityStore.read_dss(r)
                    vc2 = dss.as_validation_context({'trust_roots': [root], 'allow_fetching': False,
                                                     'revocation_mode': 'hard-fail'})
                    st2 = validate_pdf_signature(sig, vc2, ts_validation_context=vc2)
                    ts2 = st2.timestamp_validity
                    entry['ltv_trusted'] = st2.trusted
                    entry['ltv_timestamp_ok'] = (ts2.valid and ts2.intact and ts2.trusted) if ts2 else None
                    lta = asyncio.run(ades_lta_validation(sig, lta_spec(root)))
                    entry['ades_lta'] = lta.ades_subindic.name if lta.ades_subindic else None
                    entry['ades_lta_bottom_line'] = bool(lta.api_status and lta.api_status.bottom_line)
                    entry['archive_timestamp'] = lta.oldest_evidence_record_timestamp is not None
        except Exception as e:
            entry['error'] = type(e).__name__ + ': ' + str(e)
        out.append(entry)
    print(json.dumps(out))
`;

let scriptPath: string | undefined;

/**
 * pyHanko's verdict per signature. `mode`: 'strict' (pyHanko defaults), 'lenient' (allows
 * hybrid-reference files, which pyHanko refuses by default) or 'ltv' (also validates with
 * only the DSS, revocation checking hard-fail and fetching off).
 */
export async function pyhanko(
  file: string,
  rootPem: string,
  mode: 'strict' | 'lenient' | 'ltv' = 'strict',
): Promise<PyHankoSignature[]> {
  if (!scriptPath) {
    scriptPath = path.join(mkdtempSync(path.join(tmpdir(), 'vanthu-pyhanko-')), 'judge.py');
    writeFileSync(scriptPath, PYHANKO_SCRIPT);
  }
  const result = await command('python3', [scriptPath, file, rootPem, mode], 120_000);
  if (result.code !== 0) throw new Error(`pyHanko judge failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as PyHankoSignature[];
}

/**
 * A TSA run by `openssl ts -reply`, with a TSA certificate issued by the fixture's CA (so
 * revocation data for it exists): an implementation independent of ours.
 */
export async function opensslTsa(pki: PkiFixture): Promise<TimestampAuthority & { certPath: string }> {
  const dir = mkdtempSync(path.join(pki.dir, 'openssl-tsa-'));
  const passphrase = 'openssl tsa passphrase';
  const issued = await pki.ca.issue({
    profile: 'tsa',
    subject: { commonName: 'OpenSSL TSA (test)', organization: 'vanthu test' },
    keyType: 'rsa-2048',
    keyPassphrase: passphrase,
  });
  const certPath = path.join(dir, 'tsa.pem');
  const keyPath = path.join(dir, 'tsa.key');
  const chainPath = path.join(dir, 'chain.pem');
  const configPath = path.join(dir, 'tsa.cnf');
  writeFileSync(certPath, issued.certificatePem);
  writeFileSync(keyPath, issued.encryptedKeyPem!);
  writeFileSync(chainPath, `${issued.certificatePem}${readFileSync(pki.issuing.pemPath, 'utf8')}`);
  writeFileSync(path.join(dir, 'serial'), '01\n');
  writeFileSync(
    configPath,
    [
      '[ tsa ]',
      'default_tsa = tsa_config',
      '[ tsa_config ]',
      `serial = ${path.join(dir, 'serial')}`,
      'crypto_device = builtin',
      'signer_digest = sha256',
      'default_policy = 1.3.6.1.4.1.55555.1.1',
      'digests = sha256, sha384, sha512',
      'accuracy = secs:1',
      'ordering = no',
      'tsa_name = no',
      'ess_cert_id_chain = no',
      'ess_cert_id_alg = sha256',
      `certs = ${chainPath}`,
      '',
    ].join('\n'),
  );
  let n = 0;
  return {
    certPath,
    async timestamp(digest: Uint8Array, hashAlgorithm: HashAlgorithm): Promise<Uint8Array> {
      n += 1;
      const query = path.join(dir, `q${n}.tsq`);
      const token = path.join(dir, `t${n}.der`);
      const alg = `-${hashAlgorithm.replace('-', '').toLowerCase()}`;
      const q = await command('openssl', [
        'ts',
        '-query',
        '-digest',
        Buffer.from(digest).toString('hex'),
        alg,
        '-cert',
        '-out',
        query,
      ]);
      if (q.code !== 0) throw new Error(`openssl ts -query failed: ${q.stderr}`);
      const r = await command('openssl', [
        'ts',
        '-reply',
        '-config',
        configPath,
        '-queryfile',
        query,
        '-signer',
        certPath,
        '-inkey',
        keyPath,
        '-passin',
        `pass:${passphrase}`,
        '-chain',
        chainPath,
        '-token_out',
        '-out',
        token,
      ]);
      if (r.code !== 0) throw new Error(`openssl ts -reply failed: ${r.stderr}`);
      return new Uint8Array(readFileSync(token));
    },
  };
}
