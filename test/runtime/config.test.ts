import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../runtime/config';

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env, '/srv/vanthu');
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('runtime/config', () => {
  it('runs on embedded defaults when nothing is set', () => {
    const config = loadConfig({ HOME: '/home/u' }, '/srv/vanthu');
    expect(config.port).to.equal(3000);
    expect(config.dataDir).to.equal('/srv/vanthu/data');
    expect(config.database.kind).to.equal('embedded');
    expect(config.temporal).to.include({ kind: 'embedded', port: 7233, uiPort: 8233, namespace: 'default' });
    expect(config.publicUrl).to.equal('http://localhost:3000');
  });

  it('switches to external servers with DATABASE_URL and TEMPORAL_ADDRESS', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://u:p@db.example.vn:5432/vanthu',
      TEMPORAL_ADDRESS: 'temporal.example.vn:7233',
      TEMPORAL_NAMESPACE: 'hanoi',
      TEMPORAL_TLS: 'true',
      VANTHU_DATA_DIR: '/var/lib/vanthu',
    });
    expect(config.database).to.deep.equal({
      kind: 'external',
      url: 'postgres://u:p@db.example.vn:5432/vanthu',
    });
    expect(config.temporal).to.deep.include({
      kind: 'external',
      address: 'temporal.example.vn:7233',
      namespace: 'hanoi',
    });
    expect(config.temporal.kind === 'external' && config.temporal.tls).to.deep.equal({});
    expect(config.dataDir).to.equal('/var/lib/vanthu');
  });

  it('reports every mistake at once, one line each, naming the variable', () => {
    const found = problems({
      PORT: 'eighty',
      DATABASE_URL: 'mysql://db/vanthu',
      TEMPORAL_ADDRESS: 'http://temporal',
      LOG_LEVEL: 'loud',
      TEMPORAL_TLS_CERT: '/x.pem',
    });
    expect(found).to.have.length(5);
    expect(found[0]).to.match(/^PORT="eighty" is not a port number/);
    expect(found.join('\n')).to.include('DATABASE_URL must start with postgres:// or postgresql://');
    expect(found.join('\n')).to.include('TEMPORAL_ADDRESS="http://temporal" must look like host:port');
    expect(found.join('\n')).to.include('LOG_LEVEL="loud"');
    expect(found.join('\n')).to.include('TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY must be set together');
    for (const line of found) expect(line).not.to.include('\n');
  });

  it('refuses a DATABASE_URL that is not a URL at all', () => {
    expect(problems({ DATABASE_URL: 'not a url' })).to.deep.equal([
      'DATABASE_URL is not a valid URL (expected postgres://…).',
    ]);
  });
});
