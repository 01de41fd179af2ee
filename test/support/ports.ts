import type { Server } from 'node:http';
import { createServer } from 'node:net';

/** A TCP port that was free a moment ago (for servers that cannot take port 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** Where a server listening on 127.0.0.1 answers, e.g. `http://127.0.0.1:41234`. */
export function localUrl(server: Server): string {
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('the server is not listening on a TCP port');
  return `http://127.0.0.1:${address.port}`;
}
