import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { createLogger } from '../../runtime/logger';
import { cachedCliPath, findTemporalCli } from '../../runtime/temporal-cli';

const logger = createLogger('silent');

describe('runtime/temporal-cli', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'vanthu-cli-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function fakeExecutable(file: string): string {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, '#!/bin/sh\necho temporal\n');
    chmodSync(file, 0o755);
    return file;
  }

  it('takes TEMPORAL_CLI_PATH first, and says so when it is wrong', async () => {
    const explicit = fakeExecutable(path.join(dir, 'mine', 'temporal'));
    fakeExecutable(path.join(dir, 'onpath', 'temporal'));
    const found = await findTemporalCli({
      explicitPath: explicit,
      cacheDir: path.join(dir, 'cache'),
      logger,
      env: { PATH: path.join(dir, 'onpath') },
    });
    expect(found).to.deep.equal({ path: explicit, source: 'TEMPORAL_CLI_PATH' });
    const error = await findTemporalCli({
      explicitPath: path.join(dir, 'nope'),
      cacheDir: dir,
      logger,
    }).catch((e: Error) => e);
    expect(String(error)).to.include(`TEMPORAL_CLI_PATH=${path.join(dir, 'nope')} is not an executable file`);
  });

  it('prefers PATH over the cache, and the cache over any download or build', async () => {
    const cacheDir = path.join(dir, 'cache');
    fakeExecutable(cachedCliPath(cacheDir));
    const onPath = fakeExecutable(path.join(dir, 'onpath', 'temporal'));
    expect(
      await findTemporalCli({ cacheDir, logger, env: { PATH: path.join(dir, 'onpath') } }),
    ).to.deep.equal({
      path: onPath,
      source: 'PATH',
    });
    expect(await findTemporalCli({ cacheDir, logger, env: { PATH: path.join(dir, 'empty') } })).to.deep.equal(
      {
        path: cachedCliPath(cacheDir),
        source: 'cache',
      },
    );
  });

  it('when nothing works, says in one message exactly what to do', async () => {
    // No CLI anywhere, no network for the SDK download, and a PATH without Go.
    const message = await findTemporalCli({
      cacheDir: path.join(dir, 'cache'),
      logger,
      env: { PATH: '/usr/bin:/bin', HOME: dir },
    }).then(
      () => 'found',
      (e: Error) => e.message,
    );
    expect(message).to.match(/^no Temporal CLI: none in TEMPORAL_CLI_PATH, PATH or /);
    expect(message).to.include('the SDK download failed');
    expect(message).to.include('the Go build failed (Go is not installed)');
    expect(message).to.include('go install github.com/temporalio/cli/cmd/temporal@v1.5.1');
    expect(message).to.include('TEMPORAL_ADDRESS=host:port');
    expect(message).not.to.include('\n');
  });

  it('finds a real CLI that runs the dev server (the cached build)', async () => {
    // The cache holds the CLI that .ci/run built with Go; copy it so the test owns it.
    const real = cachedCliPath(path.join(process.env.HOME ?? '', '.cache', 'vanthu'));
    const cacheDir = path.join(dir, 'cache');
    mkdirSync(path.dirname(cachedCliPath(cacheDir)), { recursive: true });
    copyFileSync(process.env.TEMPORAL_CLI_PATH ?? real, cachedCliPath(cacheDir));
    chmodSync(cachedCliPath(cacheDir), 0o755);
    const found = await findTemporalCli({ cacheDir, logger, env: { PATH: '/usr/bin:/bin' } });
    expect(found.source).to.equal('cache');
    const { execFileSync } = await import('node:child_process');
    expect(execFileSync(found.path, ['--version'], { encoding: 'utf8' })).to.match(
      /temporal version .*Server 1\.\d+/,
    );
  });
});
