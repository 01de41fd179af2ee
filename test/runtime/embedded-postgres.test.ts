/**
 * Under root the embedded PostgreSQL runs as the `postgres` account, which must be able to
 * enter the folders above its binaries and data: a clone made with `mktemp -d` is closed to
 * everyone else. The whole suite starts its database inside such a folder; this checks what
 * is changed to allow it, and that nothing more is.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { letServerAccountReach } from '../../runtime/embedded-postgres';
import { createLogger } from '../../runtime/logger';

describe('runtime/embedded-postgres: reaching folders closed to others', () => {
  it('opens closed folders above a file for passing through only, and leaves open ones alone', () => {
    const top = mkdtempSync(path.join(tmpdir(), 'vanthu-reach-'));
    try {
      const closed = path.join(top, 'clone');
      const open = path.join(closed, 'node_modules');
      mkdirSync(open, { recursive: true, mode: 0o755 });
      execFileSync('chmod', ['700', top, closed]);
      execFileSync('chmod', ['755', open]);
      const file = path.join(open, 'initdb');
      writeFileSync(file, '#!/bin/sh\necho reached\n', { mode: 0o755 });

      letServerAccountReach(file, createLogger('silent', 'test'));

      const mode = (p: string) => statSync(p).mode & 0o777;
      expect(mode(top)).to.equal(0o701);
      expect(mode(closed)).to.equal(0o701);
      expect(mode(open)).to.equal(0o755);
      if (userInfo().uid === 0) {
        // The account itself now runs the file, and still cannot list what it passes through.
        expect(execFileSync('runuser', ['-u', 'postgres', '--', file], { encoding: 'utf8' })).to.equal(
          'reached\n',
        );
        expect(() =>
          execFileSync('runuser', ['-u', 'postgres', '--', 'ls', closed], { stdio: 'ignore' }),
        ).to.throw();
      }
    } finally {
      rmSync(top, { recursive: true, force: true });
    }
  });
});
