/**
 * Issues signing keys from the deployment CA and records them: personal keys for people
 * who sign, seal keys for the units that issue. A software key is stored only as
 * encrypted PKCS#8 (the passphrase is the holder's); its certificate and chain are public.
 * The demo seed provisions every signer and unit with the demo passphrase (and drawn
 * signature and seal images); a real
 * deployment provisions people one by one, or registers token keys instead.
 */
import { QueryTypes, type Sequelize } from 'sequelize';
import { sealImage, signatureImage } from './demo-images';
import type { DeploymentPki } from './pki';

export interface ProvisionedKey {
  keyId: number;
  serial: string;
}

export async function provisionPersonalKey(
  sequelize: Sequelize,
  pki: DeploymentPki,
  input: { personId: number; passphrase: string; label?: string; image?: Uint8Array },
): Promise<ProvisionedKey> {
  const [person] = await sequelize.query<{
    full_name: string;
    unit_name: string | null;
    title: string | null;
  }>(
    `SELECT p.full_name, u.name AS unit_name,
            (SELECT title FROM role_assignment r WHERE r.person_id = p.id AND r.role IN ('signer', 'branch_secretary') LIMIT 1) AS title
       FROM person p LEFT JOIN org_unit u ON u.id = p.home_unit_id WHERE p.id = $1`,
    { bind: [input.personId], type: QueryTypes.SELECT },
  );
  if (!person) throw new Error(`no person ${input.personId}`);
  const issued = await pki.services.ca.issue({
    profile: 'person',
    subject: {
      commonName: person.full_name,
      organization: person.unit_name ?? 'vanthu',
      organizationalUnit: person.title ?? 'Lãnh đạo',
      ...(person.title ? { title: person.title } : {}),
    },
    keyType: 'ec-p256',
    keyPassphrase: input.passphrase,
  });
  return record(sequelize, {
    personId: input.personId,
    unitId: null,
    purpose: 'personal',
    label: input.label ?? `Khóa ký số của ${person.full_name}`,
    issued,
    image: input.image ?? signatureImage(person.full_name),
  });
}

export async function provisionSealKey(
  sequelize: Sequelize,
  pki: DeploymentPki,
  input: { unitId: number; passphrase: string; image?: Uint8Array },
): Promise<ProvisionedKey> {
  const [unit] = await sequelize.query<{ name: string }>('SELECT name FROM org_unit WHERE id = $1', {
    bind: [input.unitId],
    type: QueryTypes.SELECT,
  });
  if (!unit) throw new Error(`no unit ${input.unitId}`);
  const issued = await pki.services.ca.issue({
    profile: 'seal',
    subject: { commonName: unit.name, organization: unit.name, organizationalUnit: 'Văn phòng' },
    keyType: 'ec-p256',
    keyPassphrase: input.passphrase,
  });
  return record(sequelize, {
    personId: null,
    unitId: input.unitId,
    purpose: 'seal',
    label: `Con dấu ${unit.name}`,
    issued,
    image: input.image ?? sealImage(),
  });
}

async function record(
  sequelize: Sequelize,
  key: {
    personId: number | null;
    unitId: number | null;
    purpose: 'personal' | 'seal';
    label: string;
    issued: { serial: string; certificate: Uint8Array; chain: Uint8Array[]; encryptedKeyPem?: string };
    /** The handwritten signature or the seal, as shown on the page (PNG). */
    image: Uint8Array;
  },
): Promise<ProvisionedKey> {
  const [row] = await sequelize.query<{ id: number }>(
    `INSERT INTO signing_key (person_id, unit_id, purpose, kind, label, certificate, chain, encrypted_key, image)
     VALUES ($1, $2, $3, 'software', $4, $5, $6, $7, $8) RETURNING id`,
    {
      bind: [
        key.personId,
        key.unitId,
        key.purpose,
        key.label,
        Buffer.from(key.issued.certificate),
        key.issued.chain.map((c) => Buffer.from(c)),
        key.issued.encryptedKeyPem,
        Buffer.from(key.image),
      ],
      type: QueryTypes.SELECT,
    },
  );
  return { keyId: row!.id, serial: key.issued.serial };
}

/** Every signer and every unit without a key gets one, locked with `passphrase`. */
export async function provisionMissingKeys(
  sequelize: Sequelize,
  pki: DeploymentPki,
  passphrase: string,
): Promise<{ personal: number; seals: number }> {
  const signers = await sequelize.query<{ person_id: number }>(
    `SELECT DISTINCT r.person_id FROM role_assignment r
      WHERE r.role IN ('signer', 'branch_secretary')
        AND NOT EXISTS (SELECT 1 FROM signing_key k WHERE k.person_id = r.person_id AND k.active)
      ORDER BY r.person_id`,
    { type: QueryTypes.SELECT },
  );
  for (const { person_id } of signers)
    await provisionPersonalKey(sequelize, pki, { personId: person_id, passphrase });
  const units = await sequelize.query<{ id: number }>(
    `SELECT u.id FROM org_unit u
      WHERE NOT EXISTS (SELECT 1 FROM signing_key k WHERE k.unit_id = u.id AND k.active) ORDER BY u.id`,
    { type: QueryTypes.SELECT },
  );
  await inBatches(units, (u) => provisionSealKey(sequelize, pki, { unitId: u.id, passphrase }));
  return { personal: signers.length, seals: units.length };
}

async function inBatches<T>(
  items: readonly T[],
  work: (item: T) => Promise<unknown>,
  size = 4,
): Promise<void> {
  for (let start = 0; start < items.length; start += size) {
    await Promise.all(items.slice(start, start + size).map(work));
  }
}
