/**
 * A small HTTP client for tests: JSON in, JSON (or text, or bytes for PDF/zip) out. It
 * holds one session cookie and sends the session's CSRF token on unsafe methods, as the
 * web page does; or, made with `ApiClient.withToken`, an API token as a Bearer header.
 */
import { DEMO_PASSWORD } from '../../db/seed';

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

export class ApiClient {
  private cookie: string | undefined;
  /** Sent as X-CSRF-Token on unsafe methods, as the web page does. */
  private csrfToken: string | undefined;
  private bearer: string | undefined;
  constructor(readonly baseUrl: string) {}

  /** A client that authenticates with an API token instead of a session. */
  static withToken(baseUrl: string, token: string): ApiClient {
    const client = new ApiClient(baseUrl);
    client.bearer = token;
    return client;
  }

  async signIn(
    username: string,
    password = DEMO_PASSWORD,
    headers: Record<string, string> = {},
  ): Promise<this> {
    const response = await this.post('/api/v1/session', { username, password }, headers);
    if (response.status !== 201)
      throw new Error(`sign-in as ${username} failed: ${JSON.stringify(response.body)}`);
    this.useSession(response);
    return this;
  }

  /** Takes the session cookie and CSRF token from a sign-in (or activation) response. */
  useSession(response: ApiResponse): this {
    this.cookie = response.headers
      .getSetCookie()
      .map((c) => c.split(';')[0]!)
      .find((c) => c.startsWith('vanthu_session='));
    this.csrfToken = (response.body as { csrfToken?: string }).csrfToken;
    return this;
  }

  /** Uses another client's session (the same person through another api process). */
  shareSession(other: ApiClient): this {
    this.cookie = other.cookie;
    this.csrfToken = other.csrfToken;
    this.bearer = other.bearer;
    return this;
  }

  /** The session cookie as sent (`vanthu_session=…`), to tamper with in tests. */
  get sessionCookie(): string | undefined {
    return this.cookie;
  }

  get csrf(): string | undefined {
    return this.csrfToken;
  }

  get<T = unknown>(path: string, headers: Record<string, string> = {}): Promise<ApiResponse<T>> {
    return this.request<T>('GET', path, { headers });
  }

  post<T = unknown>(
    path: string,
    json: unknown,
    headers: Record<string, string> = {},
  ): Promise<ApiResponse<T>> {
    return this.send<T>('POST', path, json, headers);
  }

  put<T = unknown>(
    path: string,
    json: unknown,
    headers: Record<string, string> = {},
  ): Promise<ApiResponse<T>> {
    return this.send<T>('PUT', path, json, headers);
  }

  delete<T = unknown>(path: string, headers: Record<string, string> = {}): Promise<ApiResponse<T>> {
    return this.request<T>('DELETE', path, { headers });
  }

  /** A JSON request with any method; `undefined` sends no body. */
  send<T = unknown>(
    method: string,
    path: string,
    json: unknown,
    headers: Record<string, string> = {},
  ): Promise<ApiResponse<T>> {
    return this.request<T>(method, path, {
      ...(json === undefined ? {} : { body: JSON.stringify(json) }),
      headers: { ...(json === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    });
  }

  async request<T = unknown>(
    method: string,
    path: string,
    init: { body?: string | Uint8Array; headers?: Record<string, string> } = {},
  ): Promise<ApiResponse<T>> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        ...(this.cookie ? { cookie: this.cookie } : {}),
        ...(this.bearer ? { authorization: `Bearer ${this.bearer}` } : {}),
        ...(this.csrfToken && method !== 'GET' && method !== 'HEAD'
          ? { 'x-csrf-token': this.csrfToken }
          : {}),
        ...init.headers,
      },
      ...(init.body !== undefined ? { body: init.body } : {}),
    });
    const type = response.headers.get('content-type') ?? '';
    if (type.startsWith('application/pdf') || type.startsWith('application/zip')) {
      return {
        status: response.status,
        headers: response.headers,
        body: new Uint8Array(await response.arrayBuffer()) as T,
      };
    }
    const text = await response.text();
    const body = (type.includes('json') && text ? JSON.parse(text) : text) as T;
    return { status: response.status, headers: response.headers, body };
  }
}
