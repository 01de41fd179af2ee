/**
 * Sequelize models for the tables the migrations create. The migrations own the schema;
 * these definitions only describe it to Sequelize (they never sync).
 */
import {
  type CreationOptional,
  DataTypes,
  type InferAttributes,
  type InferCreationAttributes,
  Model,
  type Sequelize,
} from 'sequelize';
import type { UnitKind } from '../domain/org';

export class OrgUnit extends Model<InferAttributes<OrgUnit>, InferCreationAttributes<OrgUnit>> {
  declare id: number;
  declare code: string;
  declare name: string;
  declare abbreviation: string;
  declare kind: UnitKind;
  declare parentId: number | null;
  declare path: string;
  declare createdAt: CreationOptional<Date>;
}

export class Person extends Model<InferAttributes<Person>, InferCreationAttributes<Person>> {
  declare id: CreationOptional<number>;
  declare username: string;
  declare fullName: string;
  declare email: string | null;
  declare passwordHash: string | null;
  declare homeUnitId: number;
  declare active: CreationOptional<boolean>;
  declare createdAt: CreationOptional<Date>;
}

export class RoleAssignment extends Model<
  InferAttributes<RoleAssignment>,
  InferCreationAttributes<RoleAssignment>
> {
  declare personId: number;
  declare unitId: number;
  declare role: string;
  declare title: string | null;
}

export class DocumentTypeRow extends Model<
  InferAttributes<DocumentTypeRow>,
  InferCreationAttributes<DocumentTypeRow>
> {
  declare code: string;
  declare name: string;
  declare nameEn: string;
  declare party: string | null;
  declare state: string | null;
}

export class DocumentRow extends Model<InferAttributes<DocumentRow>, InferCreationAttributes<DocumentRow>> {
  declare id: string;
  declare typeCode: string;
  declare subject: string;
  declare status: string;
  declare urgency: string;
  declare issuingUnitId: number;
  declare createdBy: number;
  declare currentVersion: number;
  declare workflowId: string;
  declare number: CreationOptional<string | null>;
  declare createdAt: Date;
  declare updatedAt: Date;
}

export class DocumentVersion extends Model<
  InferAttributes<DocumentVersion>,
  InferCreationAttributes<DocumentVersion>
> {
  declare documentId: string;
  declare version: number;
  declare sha256: string;
  declare content: object;
  declare createdBy: number;
  declare createdAt: Date;
}

export class Blob extends Model<InferAttributes<Blob>, InferCreationAttributes<Blob>> {
  declare sha256: string;
  declare mediaType: string;
  declare size: number;
  declare bytes: Buffer;
  declare createdAt: CreationOptional<Date>;
}

export class AuditEvent extends Model<InferAttributes<AuditEvent>, InferCreationAttributes<AuditEvent>> {
  declare id: string;
  declare chain: number;
  declare seq: string;
  declare at: Date;
  declare actorPersonId: number | null;
  declare actorUnitId: number | null;
  declare source: string;
  declare action: string;
  declare documentId: string | null;
  declare versionSha256: string | null;
  declare detail: Record<string, unknown>;
  declare idempotencyKey: string | null;
  declare prevHash: string;
  declare hash: string;
}

/** Binds every model to `sequelize`. Call once per process, after connecting. */
export function defineModels(sequelize: Sequelize): void {
  const now = { type: DataTypes.DATE, allowNull: false, defaultValue: DataTypes.NOW };
  OrgUnit.init(
    {
      id: { type: DataTypes.INTEGER, primaryKey: true },
      code: { type: DataTypes.CHAR(13), allowNull: false },
      name: { type: DataTypes.TEXT, allowNull: false },
      abbreviation: { type: DataTypes.TEXT, allowNull: false },
      kind: { type: DataTypes.TEXT, allowNull: false },
      parentId: { type: DataTypes.INTEGER, allowNull: true },
      path: { type: DataTypes.TEXT, allowNull: false },
      createdAt: now,
    },
    { sequelize, tableName: 'org_unit' },
  );
  Person.init(
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      username: { type: DataTypes.TEXT, allowNull: false },
      fullName: { type: DataTypes.TEXT, allowNull: false },
      email: { type: DataTypes.TEXT, allowNull: true },
      passwordHash: { type: DataTypes.TEXT, allowNull: true },
      homeUnitId: { type: DataTypes.INTEGER, allowNull: false },
      active: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
      createdAt: now,
    },
    { sequelize, tableName: 'person' },
  );
  RoleAssignment.init(
    {
      personId: { type: DataTypes.INTEGER, primaryKey: true },
      unitId: { type: DataTypes.INTEGER, primaryKey: true },
      role: { type: DataTypes.TEXT, primaryKey: true },
      title: { type: DataTypes.TEXT, allowNull: true },
    },
    { sequelize, tableName: 'role_assignment' },
  );
  DocumentTypeRow.init(
    {
      code: { type: DataTypes.TEXT, primaryKey: true },
      name: { type: DataTypes.TEXT, allowNull: false },
      nameEn: { type: DataTypes.TEXT, allowNull: false },
      party: { type: DataTypes.TEXT, allowNull: true },
      state: { type: DataTypes.TEXT, allowNull: true },
    },
    { sequelize, tableName: 'document_type' },
  );
  DocumentRow.init(
    {
      id: { type: DataTypes.UUID, primaryKey: true },
      typeCode: { type: DataTypes.TEXT, allowNull: false },
      subject: { type: DataTypes.TEXT, allowNull: false },
      status: { type: DataTypes.TEXT, allowNull: false },
      urgency: { type: DataTypes.TEXT, allowNull: false },
      issuingUnitId: { type: DataTypes.INTEGER, allowNull: false },
      createdBy: { type: DataTypes.INTEGER, allowNull: false },
      currentVersion: { type: DataTypes.INTEGER, allowNull: false },
      workflowId: { type: DataTypes.TEXT, allowNull: false },
      number: { type: DataTypes.TEXT, allowNull: true },
      createdAt: { type: DataTypes.DATE, allowNull: false },
      updatedAt: { type: DataTypes.DATE, allowNull: false },
    },
    { sequelize, tableName: 'document' },
  );
  DocumentVersion.init(
    {
      documentId: { type: DataTypes.UUID, primaryKey: true },
      version: { type: DataTypes.INTEGER, primaryKey: true },
      sha256: { type: DataTypes.CHAR(64), allowNull: false },
      content: { type: DataTypes.JSONB, allowNull: false },
      createdBy: { type: DataTypes.INTEGER, allowNull: false },
      createdAt: { type: DataTypes.DATE, allowNull: false },
    },
    { sequelize, tableName: 'document_version' },
  );
  Blob.init(
    {
      sha256: { type: DataTypes.CHAR(64), primaryKey: true },
      mediaType: { type: DataTypes.TEXT, allowNull: false },
      size: { type: DataTypes.INTEGER, allowNull: false },
      bytes: { type: DataTypes.BLOB, allowNull: false },
      createdAt: now,
    },
    { sequelize, tableName: 'blob' },
  );
  AuditEvent.init(
    {
      id: { type: DataTypes.BIGINT, primaryKey: true },
      chain: { type: DataTypes.SMALLINT, allowNull: false },
      seq: { type: DataTypes.BIGINT, allowNull: false },
      at: { type: DataTypes.DATE, allowNull: false },
      actorPersonId: { type: DataTypes.INTEGER, allowNull: true },
      actorUnitId: { type: DataTypes.INTEGER, allowNull: true },
      source: { type: DataTypes.TEXT, allowNull: false },
      action: { type: DataTypes.TEXT, allowNull: false },
      documentId: { type: DataTypes.UUID, allowNull: true },
      versionSha256: { type: DataTypes.CHAR(64), allowNull: true },
      detail: { type: DataTypes.JSONB, allowNull: false },
      idempotencyKey: { type: DataTypes.TEXT, allowNull: true },
      prevHash: { type: DataTypes.CHAR(64), allowNull: false },
      hash: { type: DataTypes.CHAR(64), allowNull: false },
    },
    { sequelize, tableName: 'audit_event' },
  );
}
