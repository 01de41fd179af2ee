/** Listening on the configured port, with one clear line when it is taken. */
import type { Server } from 'node:http';
import type { Express } from 'express';

export function listen(app: Express, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host);
    server.once('listening', () => resolve(server));
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') {
        reject(
          new Error(`port ${port} is in use on ${host}; stop the other program or set PORT to a free port`),
        );
      } else if (error.code === 'EACCES') {
        reject(new Error(`not allowed to listen on port ${port}; choose a port above 1024 with PORT`));
      } else {
        reject(error);
      }
    });
  });
}

/** Stops accepting connections and waits for open requests to finish (at most `graceMs`). */
export function close(server: Server, graceMs = 10_000): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.closeAllConnections();
      resolve();
    }, graceMs);
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}
