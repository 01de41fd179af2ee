/**
 * Which activity failures are worth retrying. A lost connection or a deadlock heals by
 * itself; data that breaks a constraint never will, so it fails at once instead of
 * retrying forever while a person waits.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { isDomainError } from '../domain/errors';

/**
 * SQLSTATE classes that no retry can fix because the input is wrong: data exceptions and
 * integrity violations. Bad SQL (class 42) is a bug: it stays retryable, so that deploying
 * the fix lets waiting work finish instead of failing it for good.
 */
const PERMANENT_SQLSTATE_CLASSES = ['22', '23'];

export async function classifyFailures<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    // A rule broken by the input will be broken again on every retry.
    if (isDomainError(error)) {
      throw ApplicationFailure.create({ message: error.message, type: error.code, nonRetryable: true });
    }
    const code = (error as { original?: { code?: unknown } }).original?.code;
    if (typeof code === 'string' && PERMANENT_SQLSTATE_CLASSES.includes(code.slice(0, 2))) {
      throw ApplicationFailure.create({
        message: (error as Error).message,
        type: 'PermanentDataError',
        nonRetryable: true,
        cause: error as Error,
      });
    }
    throw error;
  }
}
