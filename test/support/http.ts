/** A small HTTP client for tests: JSON in, JSON (or text) out, one session cookie. */
import { DEMO_PASSWORD } from '../../db/seed';

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

export class ApiClient {
  private cookie: string | undefined;
  constructor(readonly baseUrl: string) {}

  async signIn(username: string, password = DEMO_PASSWORD): Promise<this> {
    const response = await this.post('/api/v1/session', { username, password });
    if (response.status !== 201)
      throw new Error(`sign-in as ${username} failed: ${JSON.stringify(response.body)}`);
    const setCookie = response.headers.get('set-cookie');
    this.cookie = setCookie?.split(';')[0];
    return this;
  }

  get<T = unknown>(path: string): Promise<ApiResponse<T>> {
    return this.request<T>('GET', path);
  }

  post<T = unknown>(
    path: string,
    json: unknown,
    headers: Record<string, string> = {},
  ): Promise<ApiResponse<T>> {
    return this.request<T>('POST', path, {
      body: JSON.stringify(json),
      headers: { 'content-type': 'application/json', ...headers },
    });
  }

  async request<T = unknown>(
    method: string,
    path: string,
    init: { body?: string | Uint8Array; headers?: Record<string, string> } = {},
  ): Promise<ApiResponse<T>> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { ...(this.cookie ? { cookie: this.cookie } : {}), ...init.headers },
      ...(init.body !== undefined ? { body: init.body } : {}),
    });
    const text = await response.text();
    const type = response.headers.get('content-type') ?? '';
    const body = (type.includes('json') && text ? JSON.parse(text) : text) as T;
    return { status: response.status, headers: response.headers, body };
  }
}
