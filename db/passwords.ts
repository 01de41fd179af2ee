/** How passwords are stored: argon2id hashes only (RFC 9106 defaults of @node-rs/argon2). */
import { hash, verify } from '@node-rs/argon2';

export function hashPassword(password: string): Promise<string> {
  // 2 is Algorithm.Argon2id (a const enum, which isolated modules cannot read).
  return hash(password, { algorithm: 2 });
}

export function verifyPassword(storedHash: string, password: string): Promise<boolean> {
  return verify(storedHash, password);
}
