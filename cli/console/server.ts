/**
 * The local console's HTTP server: the page's static assets (built by scripts/build-console.ts) and
 * a small JSON API, on loopback only. It logs nothing of a request: the page shows documents only
 * when the operator clicks one, straight from the server's memory.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError, ProfileValidationError, UsageError } from '../../core/errors.js';
import { PortInUseError } from '../../local/errors.js';
import type {
  ConsoleOverview,
  EvaluateRequest,
  EvaluateResponse,
  RecordDocument,
  RedriveRequest,
  RedriveResponse,
} from './api-types.js';

/** What the API answers with, once the local stack runs. */
export interface ConsoleBackend {
  overview(): Promise<ConsoleOverview>;
  recordDocument(destinationId: string, seq: number): RecordDocument | undefined;
  redrive(request: RedriveRequest): Promise<RedriveResponse>;
  /** @throws UsageError, ProfileValidationError or ConfigError for input the operator can fix. */
  evaluate(request: EvaluateRequest): EvaluateResponse;
}

/** Options of {@link openConsoleServer}. */
export interface ConsoleServerOptions {
  /** 0 = a free port (tests). */
  readonly port: number;
  /** The folder holding index.html, app.js and app.css. */
  readonly assetsDir: string;
  /** The flag named by the "port in use" error. @default --console-port */
  readonly portFlag?: string;
}

/** A listening console server. */
export interface ConsoleServer {
  readonly url: string;
  readonly port: number;
  /** Starts answering the API with `backend` (until then it answers 503). */
  attach(backend: ConsoleBackend): void;
  close(): Promise<void>;
}

/** Loopback only: the console can redrive the dead-letter queue. */
const HOST = '127.0.0.1';

/** The largest request body read (two profile images). */
const MAX_BODY_BYTES = 2 * 1024 * 1024;

const ASSETS: Record<string, { readonly file: string; readonly type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
};

const SECURITY_HEADERS = {
  // Everything comes from this server: no CDN, no inline script, no other origin.
  'content-security-policy':
    "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
} as const;

const redriveSchema = z.strictObject({
  destination: z.string().min(1).optional(),
  dryRun: z.boolean(),
});

const evaluateSchema = z.strictObject({ oldImage: z.string(), newImage: z.string() });

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

function send(res: ServerResponse, status: number, body: string, type: string): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, JSON.stringify(value), 'application/json; charset=utf-8');
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) {
    // A form on another site can post text/plain without asking; JSON needs a preflight it cannot pass.
    throw new HttpError(415, 'send the request body as application/json');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `the request body exceeds ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'the request body is not JSON');
  }
}

function parseWith<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new HttpError(400, `${what}: ${issue?.path.join('.') || '(body)'}: ${issue?.message ?? 'invalid'}`);
}

/** Answers one API request. */
async function api(req: IncomingMessage, path: string, backend: ConsoleBackend): Promise<unknown> {
  if (req.method === 'GET' && path === '/api/overview') return backend.overview();
  const record = /^\/api\/records\/([^/]+)\/(\d+)$/.exec(path);
  if (req.method === 'GET' && record !== null) {
    const document = backend.recordDocument(decodeURIComponent(record[1] ?? ''), Number(record[2]));
    if (document === undefined) throw new HttpError(404, 'that record is no longer kept: pick a newer one');
    return document;
  }
  if (req.method === 'POST' && path === '/api/dlq/redrive')
    return backend.redrive(parseWith(redriveSchema, await readBody(req), 'redrive request'));
  if (req.method === 'POST' && path === '/api/evaluate')
    return backend.evaluate(parseWith(evaluateSchema, await readBody(req), 'evaluate request'));
  throw new HttpError(404, `no ${req.method} ${path} in the console's API`);
}

/** True when the request is for this server by its loopback name (not a rebound DNS name). */
function fromLoopback(req: IncomingMessage, port: number): boolean {
  const host = req.headers.host ?? '';
  const sameHost = host === `${HOST}:${port}` || host === `localhost:${port}`;
  const origin = req.headers.origin;
  return sameHost && (origin === undefined || origin === `http://${host}`);
}

/**
 * Listens on 127.0.0.1:`port` and serves the console's page; the API answers 503 until
 * {@link ConsoleServer.attach}. Bind this before starting the local stack: a port in use fails at once.
 * @throws PortInUseError naming `--console-port` when the port is taken; UsageError when the page's
 *   assets are missing.
 */
export async function openConsoleServer(options: ConsoleServerOptions): Promise<ConsoleServer> {
  const assets = new Map<string, Buffer>();
  for (const { file } of Object.values(ASSETS)) {
    try {
      assets.set(file, readFileSync(join(options.assetsDir, file)));
    } catch (error) {
      throw new UsageError(
        `the console's page is not built (${join(options.assetsDir, file)} is missing): run npm run build:console`,
        { cause: error },
      );
    }
  }
  let backend: ConsoleBackend | undefined;
  let port = options.port;
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://console').pathname;
    if (!fromLoopback(req, port)) {
      sendJson(res, 403, { error: `open the console as http://${HOST}:${port}/` });
      return;
    }
    const asset = ASSETS[path];
    if (req.method === 'GET' && asset !== undefined) {
      send(res, 200, (assets.get(asset.file) as Buffer).toString('utf8'), asset.type);
      return;
    }
    if (path === '/favicon.ico') {
      send(res, 204, '', 'text/plain');
      return;
    }
    if (backend === undefined) {
      sendJson(res, 503, { error: 'the local stack is starting: try again in a few seconds' });
      return;
    }
    api(req, path, backend).then(
      (value) => sendJson(res, 200, value),
      (error: unknown) => {
        if (error instanceof HttpError) sendJson(res, error.status, { error: error.message });
        else if (
          error instanceof UsageError ||
          error instanceof ConfigError ||
          error instanceof ProfileValidationError
        )
          sendJson(res, 400, { error: error.message });
        else
          sendJson(res, 500, {
            error: error instanceof Error ? `${error.name}: ${error.message}` : 'failed',
          });
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new PortInUseError('the console', options.port, options.portFlag ?? '--console-port', {
              cause: error,
            })
          : error,
      ),
    );
    server.listen(options.port, HOST, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://${HOST}:${port}/`,
    port,
    attach(next) {
      backend = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
