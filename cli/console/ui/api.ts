/** The page's calls to the console server (same origin; the server's answers are cli/console/api-types.ts). */
import type { ApiError } from '../api-types.js';

async function answer<T>(response: Response): Promise<T> {
  const body = (await response.json().catch(() => ({ error: `HTTP ${response.status}` }))) as T | ApiError;
  if (!response.ok) {
    throw new Error((body as ApiError).error ?? `HTTP ${response.status}`);
  }
  return body as T;
}

/** GETs `path` and returns its JSON. @throws Error with the server's message. */
export async function getJson<T>(path: string): Promise<T> {
  return answer<T>(await fetch(path, { headers: { accept: 'application/json' } }));
}

/** POSTs `body` as JSON to `path` and returns the answer. @throws Error with the server's message. */
export async function postJson<T>(path: string, body: unknown): Promise<T> {
  return answer<T>(
    await fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
    }),
  );
}
