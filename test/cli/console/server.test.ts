import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ConsoleOverview } from '../../../cli/console/api-types.js';
import { type ConsoleBackend, type ConsoleServer, openConsoleServer } from '../../../cli/console/server.js';
import { UsageError } from '../../../core/errors.js';
import { PortInUseError } from '../../../local/errors.js';

let assetsDir: string;
let server: ConsoleServer | undefined;

beforeAll(() => {
  assetsDir = mkdtempSync(join(tmpdir(), 'kd-console-assets-'));
  writeFileSync(join(assetsDir, 'index.html'), '<!doctype html><div id="app"></div>');
  writeFileSync(join(assetsDir, 'app.js'), 'console.log(1)');
  writeFileSync(join(assetsDir, 'app.css'), 'body{}');
});

afterEach(async () => {
  await server?.close();
  server = undefined;
});

afterAll(() => rmSync(assetsDir, { recursive: true, force: true }));

const OVERVIEW = { now: 1 } as ConsoleOverview;

/** A backend answering the overview, refusing every evaluation, with no kept record. */
const backend: ConsoleBackend = {
  overview: async () => OVERVIEW,
  recordDocument: () => undefined,
  redrive: async (r) => ({
    mechanism: 'move-task',
    dryRun: r.dryRun,
    toMove: 0,
    moved: 0,
    failed: 0,
    status: 'EMPTY',
  }),
  evaluate: () => {
    throw new UsageError('new image: not a valid profile');
  },
};

/** A raw request with its own Host header (fetch would set the right one). */
function get(port: number, path: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    })
      .on('error', reject)
      .end();
  });
}

describe('openConsoleServer()', () => {
  it('serves the page with a same-origin content security policy', async () => {
    server = await openConsoleServer({ port: 0, assetsDir });

    const response = await fetch(server.url);

    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toMatch(/^default-src 'self'/);
    expect(await response.text()).toContain('<div id="app">');
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  });

  it('answers 503 until a local stack is attached, then the API', async () => {
    server = await openConsoleServer({ port: 0, assetsDir });

    expect((await fetch(`${server.url}api/overview`)).status).toBe(503);
    server.attach(backend);
    const response = await fetch(`${server.url}api/overview`);

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(OVERVIEW);
  });

  it('refuses a request made under another host name (DNS rebinding) or from another origin', async () => {
    server = await openConsoleServer({ port: 0, assetsDir });
    server.attach(backend);

    expect(await get(server.port, '/api/overview', `attacker.example:${server.port}`)).toBe(403);
    expect(await get(server.port, '/api/overview', `localhost:${server.port}`)).toBe(200);
    const foreign = await fetch(`${server.url}api/dlq/redrive`, {
      method: 'POST',
      headers: { origin: 'http://attacker.example', 'content-type': 'application/json' },
      body: JSON.stringify({ dryRun: false }),
    });
    expect(foreign.status).toBe(403);
  });

  it('takes only JSON bodies that match the request schema', async () => {
    server = await openConsoleServer({ port: 0, assetsDir });
    server.attach(backend);
    const post = (body: string, type = 'application/json') =>
      fetch(`${server?.url}api/dlq/redrive`, { method: 'POST', headers: { 'content-type': type }, body });

    expect((await post('{"dryRun":true}', 'text/plain')).status).toBe(415);
    expect((await post('{"dryRun":')).status).toBe(400);
    const wrong = await post('{"dryRun":"yes"}');
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as { error: string }).error).toMatch(/^redrive request: dryRun: /);
    expect((await post('{"dryRun":true}')).status).toBe(200);
  });

  it('answers 400 with the message of an error the operator can fix, and 404 for a record no longer kept', async () => {
    server = await openConsoleServer({ port: 0, assetsDir });
    server.attach(backend);

    const evaluated = await fetch(`${server.url}api/evaluate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ oldImage: '', newImage: '{}' }),
    });
    expect(evaluated.status).toBe(400);
    expect(await evaluated.json()).toEqual({ error: 'new image: not a valid profile' });
    expect((await fetch(`${server.url}api/records/marketing/7`)).status).toBe(404);
  });

  describe('with the port taken', () => {
    let holder: Server;
    let port: number;
    beforeAll(async () => {
      holder = createServer();
      await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
      port = (holder.address() as { port: number }).port;
    });
    afterAll(() => new Promise<void>((resolve) => holder.close(() => resolve())));

    it('throws PortInUseError naming --console-port', async () => {
      const opening = openConsoleServer({ port, assetsDir });

      await expect(opening).rejects.toBeInstanceOf(PortInUseError);
      await expect(opening).rejects.toThrow(`port ${port} is already in use`);
      await expect(opening).rejects.toThrow('--console-port N');
    });
  });

  it('names the build script when the page is not built', async () => {
    await expect(openConsoleServer({ port: 0, assetsDir: join(assetsDir, 'missing') })).rejects.toThrow(
      /the console's page is not built .*: run npm run build:console/,
    );
  });
});
