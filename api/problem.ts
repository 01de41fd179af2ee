/**
 * Errors leave the api as RFC 9457 `application/problem+json`: a status, a short title,
 * a human detail, and for validation the field at fault. Never a stack trace.
 */
import type { ErrorRequestHandler, Response } from 'express';
import { type DomainErrorCode, isDomainError } from '../domain/errors';
import type { Logger } from '../runtime/logger';

export interface Problem {
  status: number;
  title: string;
  detail: string;
  field?: string;
  [extra: string]: unknown;
}

const STATUS_BY_CODE: Record<DomainErrorCode, { status: number; title: string }> = {
  validation: { status: 400, title: 'Dữ liệu không hợp lệ (invalid request)' },
  not_found: { status: 404, title: 'Không tìm thấy (not found)' },
  conflict: { status: 409, title: 'Xung đột (conflict)' },
  forbidden: { status: 403, title: 'Không có quyền (forbidden)' },
  unauthenticated: { status: 401, title: 'Chưa đăng nhập (not signed in)' },
  secret_refused: { status: 422, title: 'Văn bản mật bị từ chối (secret document refused)' },
  invalid_transition: {
    status: 409,
    title: 'Không thực hiện được ở trạng thái này (not allowed in this state)',
  },
  unavailable: { status: 503, title: 'Dịch vụ tạm thời không sẵn sàng (service unavailable)' },
};

/**
 * A refusal that is about HTTP itself rather than the domain (428 precondition required,
 * 412 stale, 429 slowed down, 422 idempotency key reused …): status, title and detail,
 * plus headers such as Retry-After.
 */
export class ApiProblem extends Error {
  override readonly name = 'ApiProblem';
  constructor(
    readonly status: number,
    readonly title: string,
    detail: string,
    readonly extra: { field?: string; headers?: Record<string, string> } = {},
  ) {
    super(detail);
  }
}

export function sendProblem(res: Response, problem: Problem): void {
  res
    .status(problem.status)
    .type('application/problem+json')
    .send(JSON.stringify({ type: 'about:blank', ...problem }));
}

/** Body-parser and routing errors carry `status`/`type`; map the ones a client causes. */
function clientProblem(error: unknown): Problem | undefined {
  const e = error as { status?: number; type?: string; message?: string };
  if (e.type === 'entity.parse.failed') {
    return {
      status: 400,
      title: STATUS_BY_CODE.validation.title,
      detail: 'the request body is not valid JSON',
    };
  }
  if (e.type === 'entity.too.large') {
    return {
      status: 413,
      title: 'Nội dung quá lớn (payload too large)',
      detail: 'the request body is larger than allowed',
    };
  }
  if (e.type === 'encoding.unsupported' || e.type === 'charset.unsupported') {
    return {
      status: 415,
      title: 'Kiểu nội dung không hỗ trợ (unsupported media type)',
      detail: e.message ?? '',
    };
  }
  if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
    return {
      status: e.status,
      title: 'Yêu cầu không hợp lệ (bad request)',
      detail: e.message ?? 'bad request',
    };
  }
  return undefined;
}

export function problemHandler(logger: Logger): ErrorRequestHandler {
  return (error, req, res, _next) => {
    if (res.headersSent) return;
    if (error instanceof ApiProblem) {
      for (const [name, value] of Object.entries(error.extra.headers ?? {})) res.setHeader(name, value);
      sendProblem(res, {
        status: error.status,
        title: error.title,
        detail: error.message,
        ...(error.extra.field ? { field: error.extra.field } : {}),
      });
      return;
    }
    if (isDomainError(error)) {
      const { status, title } = STATUS_BY_CODE[error.code];
      sendProblem(res, {
        status,
        title,
        detail: error.message,
        ...(error.field ? { field: error.field } : {}),
      });
      return;
    }
    const client = clientProblem(error);
    if (client) {
      sendProblem(res, client);
      return;
    }
    logger.error({ err: error, method: req.method, url: req.originalUrl }, 'request failed');
    sendProblem(res, {
      status: 500,
      title: 'Lỗi hệ thống (internal error)',
      detail: 'the server could not complete the request; it has been logged',
    });
  };
}
