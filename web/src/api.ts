/**
 * Talking to the api: JSON in and out, the session's CSRF token on every unsafe request,
 * and errors as `ApiError` carrying the problem+json title, detail and field, so a form
 * can show the message next to the field at fault. A count of requests in flight drives
 * the progress bar at the top of every page.
 */

export const API = '/api/v1';

export interface Problem {
  status: number;
  title: string;
  detail: string;
  field?: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  /** e.g. `body.subject`, `body.recipients.0.unitId`, `header.If-Match`. */
  readonly field: string | undefined;
  constructor(problem: Problem) {
    super(problem.detail || problem.title);
    this.name = 'ApiError';
    this.status = problem.status;
    this.title = problem.title;
    this.detail = problem.detail;
    this.field = problem.field;
  }
}

// ------------------------------------------------------------------ requests in flight

type Listener = (count: number) => void;
let inFlight = 0;
const listeners = new Set<Listener>();

export function onRequestsInFlight(listener: Listener): () => void {
  listeners.add(listener);
  listener(inFlight);
  return () => listeners.delete(listener);
}

function track(delta: number): void {
  inFlight += delta;
  for (const listener of listeners) listener(inFlight);
}

// ------------------------------------------------------------------ credentials

let csrfToken: string | undefined;

/** Set from the sign-in answer or GET /session; the readable `vanthu_csrf` cookie is the fallback. */
export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

function currentCsrf(): string | undefined {
  if (csrfToken) return csrfToken;
  const match = /(?:^|;\s*)vanthu_csrf=([^;]+)/.exec(document.cookie);
  return match ? decodeURIComponent(match[1]!) : undefined;
}

/** Called when the api says the session is gone (401), so the app can show the sign-in page. */
let onSignedOut: (() => void) | undefined;
export function whenSignedOut(handler: () => void): void {
  onSignedOut = handler;
}

// ------------------------------------------------------------------ calls

export interface RequestOptions {
  json?: unknown;
  body?: Blob | ArrayBuffer | Uint8Array;
  contentType?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Do not treat 401 as "signed out" (the sign-in page itself). */
  quiet401?: boolean;
}

export interface Answer<T> {
  data: T;
  headers: Headers;
  status: number;
}

async function problemOf(response: Response): Promise<ApiError> {
  const type = response.headers.get('content-type') ?? '';
  if (type.includes('json')) {
    try {
      const body = (await response.json()) as Partial<Problem>;
      return new ApiError({
        status: response.status,
        title: body.title ?? response.statusText,
        detail: body.detail ?? '',
        ...(body.field ? { field: body.field } : {}),
      });
    } catch {
      // fall through: not the JSON it claimed to be
    }
  }
  return new ApiError({ status: response.status, title: response.statusText || 'Error', detail: '' });
}

async function send(method: string, path: string, options: RequestOptions): Promise<Response> {
  const unsafe = method !== 'GET' && method !== 'HEAD';
  const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
  let body: BodyInit | undefined;
  if (options.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.json);
  } else if (options.body !== undefined) {
    headers['Content-Type'] = options.contentType ?? 'application/octet-stream';
    body = options.body as BodyInit;
  }
  const csrf = unsafe ? currentCsrf() : undefined;
  if (csrf) headers['X-CSRF-Token'] = csrf;
  track(1);
  try {
    const response = await fetch(`${API}${path}`, {
      method,
      headers,
      credentials: 'same-origin',
      ...(body !== undefined ? { body } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (!response.ok) {
      const error = await problemOf(response);
      if (response.status === 401 && !options.quiet401) onSignedOut?.();
      throw error;
    }
    return response;
  } catch (error) {
    if (error instanceof ApiError || (error instanceof DOMException && error.name === 'AbortError'))
      throw error;
    throw new ApiError({
      status: 0,
      title: 'Không kết nối được máy chủ (cannot reach the server)',
      detail: error instanceof Error ? error.message : String(error),
    });
  } finally {
    track(-1);
  }
}

export async function request<T>(
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<Answer<T>> {
  const response = await send(method, path, options);
  const text = response.status === 204 ? '' : await response.text();
  return {
    data: (text ? JSON.parse(text) : undefined) as T,
    headers: response.headers,
    status: response.status,
  };
}

export const get = <T>(path: string, options?: RequestOptions) =>
  request<T>('GET', path, options).then((a) => a.data);
export const post = <T>(path: string, json: unknown = {}, options: RequestOptions = {}) =>
  request<T>('POST', path, { ...options, json }).then((a) => a.data);

/** A PDF (or any file) as bytes. */
export async function getBytes(path: string, options: RequestOptions = {}): Promise<ArrayBuffer> {
  const response = await send('GET', path, {
    ...options,
    headers: { Accept: 'application/pdf', ...options.headers },
  });
  return response.arrayBuffer();
}

/** POST JSON, answer bytes (the live preview). */
export async function postForBytes(path: string, json: unknown, signal?: AbortSignal): Promise<ArrayBuffer> {
  const response = await send('POST', path, {
    json,
    headers: { Accept: 'application/pdf, application/problem+json' },
    ...(signal ? { signal } : {}),
  });
  return response.arrayBuffer();
}

/** Query string from defined values only. */
export function qs(params: Record<string, string | number | boolean | undefined | null>): string {
  const entries = Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== '');
  return entries.length ? `?${new URLSearchParams(entries.map(([k, v]) => [k, String(v)]))}` : '';
}
