/**
 * One structured logger (pino) for every process. JSON lines for machines; when a person
 * watches a terminal, the same records pretty-printed.
 */
import pino, { type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, name = 'vanthu'): Logger {
  const pretty = process.stdout.isTTY && process.env.VANTHU_LOG_FORMAT !== 'json';
  return pino({
    name,
    level,
    ...(pretty
      ? {
          transport: {
            target: 'pino-pretty',
            options: { translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' },
          },
        }
      : {}),
  });
}
