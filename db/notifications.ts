/**
 * Notifications people see in their inbox: reminders, escalations, requests to act.
 * A dedupe key makes a retried activity notify once.
 */
import type { Sequelize, Transaction } from 'sequelize';

export interface NotificationInput {
  personId?: number | null;
  unitId?: number | null;
  kind: string;
  documentId?: string | null;
  message: string;
  dedupeKey: string;
  at: Date;
}

export async function notify(
  sequelize: Sequelize,
  transaction: Transaction,
  notifications: readonly NotificationInput[],
): Promise<void> {
  for (let start = 0; start < notifications.length; start += 1_000) {
    const chunk = notifications.slice(start, start + 1_000);
    const values = chunk.map(
      (_, i) =>
        `($${i * 7 + 1}, $${i * 7 + 2}, $${i * 7 + 3}, $${i * 7 + 4}, $${i * 7 + 5}, $${i * 7 + 6}, $${i * 7 + 7})`,
    );
    await sequelize.query(
      `INSERT INTO notification (recipient_person_id, recipient_unit_id, kind, document_id, message, dedupe_key, created_at)
       VALUES ${values.join(', ')} ON CONFLICT (dedupe_key) DO NOTHING`,
      {
        bind: chunk.flatMap((n) => [
          n.personId ?? null,
          n.unitId ?? null,
          n.kind,
          n.documentId ?? null,
          n.message,
          n.dedupeKey,
          n.at,
        ]),
        transaction,
      },
    );
  }
}
