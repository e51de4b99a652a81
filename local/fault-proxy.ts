/**
 * A fault-injecting HTTP proxy on loopback, in front of a Kinesis emulator (kinesalite or
 * kinesis-mock), for the fault-injection suite and the exporter benchmark.
 *
 * Neither emulator enforces shard limits, so throttling has to be injected here. The fault is
 * switchable at run time (`setFault`) and applies to the operations it names:
 * - `fail-entries`: a share of `PutRecords` entries fail with `ProvisionedThroughputExceededException`
 *   or `InternalFailure`. Only the other entries are forwarded, and the emulator's answer is merged
 *   back into the original positions — exactly what Kinesis does for a partial failure: a failed
 *   entry is not written. `PutRecord` fails as a whole with the same share.
 * - `http-error`: answer 5xx without forwarding (an outage);
 * - `stall`: hold the request (`before`: then forward it) or its answer (`after`: the records are
 *   written, the caller hears late) for `ms`;
 * - `hang`: never answer (until the caller gives up or the proxy closes);
 * - `drop`: destroy the connection without forwarding.
 * Request selection and entry failures use a seeded generator, so a run is reproducible.
 */
import {
  Agent,
  createServer,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { seededRandom } from './seeded-random.js';

/** Error codes Kinesis reports per `PutRecords` entry. */
export type EntryErrorCode = 'ProvisionedThroughputExceededException' | 'InternalFailure';

/** The fault the proxy injects. */
export type Fault =
  | { readonly kind: 'none' }
  | {
      readonly kind: 'fail-entries';
      /** Share (0–1) of entries that fail. */
      readonly share: number;
      /** @default 'ProvisionedThroughputExceededException' */
      readonly errorCode?: EntryErrorCode | 'mixed';
    }
  | {
      readonly kind: 'http-error';
      /** @default 500 (InternalFailure); 503 answers ServiceUnavailable */
      readonly status?: number;
      /** Share (0–1) of requests answered so. @default 1 */
      readonly share?: number;
    }
  | {
      readonly kind: 'stall';
      readonly ms: number;
      /** `before`: hold the request, then forward it; `after`: forward, then hold the answer. @default 'before' */
      readonly phase?: 'before' | 'after';
      /** @default 1 */
      readonly share?: number;
    }
  | { readonly kind: 'hang' /** @default 1 */; readonly share?: number }
  | { readonly kind: 'drop' /** @default 1 */; readonly share?: number };

/** Counters since start or the last `resetStats`. */
export interface FaultProxyStats {
  /** Requests received, all operations. */
  requests: number;
  /** `PutRecords` requests received. */
  putRecordsCalls: number;
  /** `PutRecords` entries received. */
  entries: number;
  /** Entries the proxy failed (not forwarded). */
  entriesFailed: number;
  /** Entries forwarded and accepted by the emulator. */
  entriesAccepted: number;
  /** Request body bytes of `PutRecords`/`PutRecord` calls received (what a client sends on the wire). */
  putBytes: number;
  /** Requests answered with an injected 5xx. */
  httpErrors: number;
  /** Requests stalled, hung or dropped. */
  stalled: number;
  hung: number;
  dropped: number;
  /** Requests the emulator could not be reached for (answered 502). */
  upstreamErrors: number;
}

/** Options of {@link startFaultProxy}. */
export interface FaultProxyOptions {
  /** The emulator's endpoint, e.g. `http://127.0.0.1:4567`. */
  readonly target: string;
  /** @default 0 (a free port) */
  readonly port?: number;
  /** @default { kind: 'none' } */
  readonly fault?: Fault;
  /**
   * Kinesis operations (`X-Amz-Target` suffix) the fault applies to.
   * @default - PutRecords and PutRecord
   */
  readonly operations?: readonly string[];
  /** Seed of the generator that picks failing entries and requests. @default 1 */
  readonly seed?: number;
}

/** A running proxy. */
export interface FaultProxy {
  /** `http://127.0.0.1:<port>`: the Kinesis endpoint to give the functions. */
  readonly url: string;
  readonly port: number;
  /** Switches the fault; applies to requests that arrive from now on. */
  setFault(fault: Fault, operations?: readonly string[]): void;
  readonly fault: Fault;
  stats(): FaultProxyStats;
  resetStats(): void;
  /** Stops listening and destroys open connections (hung requests included). */
  close(): Promise<void>;
}

interface KinesisEntryResult {
  SequenceNumber?: string;
  ShardId?: string;
  ErrorCode?: string;
  ErrorMessage?: string;
}

const DEFAULT_OPERATIONS = ['PutRecords', 'PutRecord'];

function emptyStats(): FaultProxyStats {
  return {
    requests: 0,
    putRecordsCalls: 0,
    entries: 0,
    entriesFailed: 0,
    entriesAccepted: 0,
    putBytes: 0,
    httpErrors: 0,
    stalled: 0,
    hung: 0,
    dropped: 0,
    upstreamErrors: 0,
  };
}

function readBody(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

function entryError(code: EntryErrorCode): KinesisEntryResult {
  return {
    ErrorCode: code,
    ErrorMessage:
      code === 'ProvisionedThroughputExceededException'
        ? 'Rate exceeded for shard shardId-000000000000 in stream (injected by fault-proxy).'
        : 'Internal service failure (injected by fault-proxy).',
  };
}

/**
 * Starts the proxy on 127.0.0.1.
 * @throws the listen error (e.g. the port is taken).
 */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(options.target);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const random = seededRandom(options.seed ?? 1);
  let fault: Fault = options.fault ?? { kind: 'none' };
  let operations: ReadonlySet<string> = new Set(options.operations ?? DEFAULT_OPERATIONS);
  let counters = emptyStats();
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });

  function pick(share: number | undefined): boolean {
    const s = share ?? 1;
    return s >= 1 || random() < s;
  }

  function forward(
    incoming: IncomingMessage,
    body: Buffer,
  ): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(incoming.headers)) {
        if (value === undefined || name === 'host' || name === 'content-length' || name === 'connection')
          continue;
        headers[name] = Array.isArray(value) ? value.join(', ') : value;
      }
      headers['content-length'] = String(body.length);
      const upstream = request(
        {
          agent,
          protocol: target.protocol,
          hostname: target.hostname,
          port: target.port,
          method: incoming.method,
          path: incoming.url,
          headers: { ...headers, host: target.host },
        },
        (response) => {
          readBody(response).then((data) => {
            const out: Record<string, string> = {};
            for (const [name, value] of Object.entries(response.headers)) {
              if (value === undefined || name === 'content-length' || name === 'connection') continue;
              if (name === 'transfer-encoding') continue;
              out[name] = Array.isArray(value) ? value.join(', ') : value;
            }
            resolve({ status: response.statusCode ?? 502, headers: out, body: data });
          }, reject);
        },
      );
      upstream.on('error', reject);
      upstream.end(body);
    });
  }

  function send(res: ServerResponse, status: number, headers: Record<string, string>, body: Buffer): void {
    if (res.destroyed || res.writableEnded) return;
    res.writeHead(status, { ...headers, 'content-length': String(body.length) });
    res.end(body);
  }

  function sendError(res: ServerResponse, status: number, type: string, message: string): void {
    send(
      res,
      status,
      { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': type },
      Buffer.from(JSON.stringify({ __type: type, message })),
    );
  }

  /** Fails a share of the entries, forwards the rest, merges the answers in order. */
  async function putRecordsWithFailures(
    req: IncomingMessage,
    res: ServerResponse,
    body: Buffer,
    share: number,
    code: EntryErrorCode | 'mixed',
  ): Promise<void> {
    const input = JSON.parse(body.toString('utf8')) as { Records?: unknown[]; [key: string]: unknown };
    const records = input.Records ?? [];
    const failed: (EntryErrorCode | null)[] = records.map(() => {
      if (random() >= share) return null;
      if (code !== 'mixed') return code;
      return random() < 0.5 ? 'ProvisionedThroughputExceededException' : 'InternalFailure';
    });
    const forwarded = records.filter((_, i) => failed[i] === null);
    let accepted: KinesisEntryResult[] = [];
    let headers: Record<string, string> = { 'content-type': 'application/x-amz-json-1.1' };
    if (forwarded.length > 0) {
      const answer = await forward(req, Buffer.from(JSON.stringify({ ...input, Records: forwarded })));
      if (answer.status !== 200) {
        // The emulator refused the whole call (e.g. no such stream): pass its answer on unchanged.
        send(res, answer.status, answer.headers, answer.body);
        return;
      }
      accepted = (JSON.parse(answer.body.toString('utf8')) as { Records: KinesisEntryResult[] }).Records;
      headers = answer.headers;
    }
    let next = 0;
    let failedCount = 0;
    const merged = failed.map((errorCode) => {
      if (errorCode !== null) {
        failedCount++;
        return entryError(errorCode);
      }
      const result = accepted[next++] ?? entryError('InternalFailure');
      if (result.ErrorCode !== undefined) failedCount++;
      else counters.entriesAccepted++;
      return result;
    });
    counters.entriesFailed += failed.filter((c) => c !== null).length;
    send(res, 200, headers, Buffer.from(JSON.stringify({ FailedRecordCount: failedCount, Records: merged })));
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    counters.requests++;
    const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
    const isPut = operation === 'PutRecords' || operation === 'PutRecord';
    if (isPut) counters.putBytes += body.length;
    let entryCount = 0;
    if (operation === 'PutRecords') {
      counters.putRecordsCalls++;
      try {
        entryCount = ((JSON.parse(body.toString('utf8')) as { Records?: unknown[] }).Records ?? []).length;
      } catch {
        entryCount = 0;
      }
      counters.entries += entryCount;
    } else if (operation === 'PutRecord') {
      counters.entries++;
    }
    const current = fault;
    const applies = current.kind !== 'none' && operations.has(operation);
    if (applies) {
      switch (current.kind) {
        case 'fail-entries':
          if (operation === 'PutRecords') {
            await putRecordsWithFailures(
              req,
              res,
              body,
              current.share,
              current.errorCode ?? 'ProvisionedThroughputExceededException',
            );
            return;
          }
          if (operation === 'PutRecord' && random() < current.share) {
            counters.entriesFailed++;
            const code =
              current.errorCode === 'InternalFailure'
                ? 'InternalFailure'
                : 'ProvisionedThroughputExceededException';
            sendError(res, code === 'InternalFailure' ? 500 : 400, code, 'injected by fault-proxy');
            return;
          }
          break;
        case 'http-error':
          if (pick(current.share)) {
            counters.httpErrors++;
            const status = current.status ?? 500;
            sendError(
              res,
              status,
              status === 503 ? 'ServiceUnavailable' : 'InternalFailure',
              'injected by fault-proxy',
            );
            return;
          }
          break;
        case 'stall':
          if (pick(current.share)) {
            counters.stalled++;
            if ((current.phase ?? 'before') === 'before') await wait(current.ms);
            else {
              const answer = await forward(req, body);
              countAccepted(operation, answer.status, answer.body, entryCount);
              await wait(current.ms);
              send(res, answer.status, answer.headers, answer.body);
              return;
            }
          }
          break;
        case 'hang':
          if (pick(current.share)) {
            counters.hung++;
            return; // never answered; close() destroys the socket
          }
          break;
        case 'drop':
          if (pick(current.share)) {
            counters.dropped++;
            req.socket.destroy();
            return;
          }
          break;
      }
    }
    if (res.destroyed) return;
    const answer = await forward(req, body);
    countAccepted(operation, answer.status, answer.body, entryCount);
    send(res, answer.status, answer.headers, answer.body);
  }

  function countAccepted(operation: string, status: number, body: Buffer, entryCount: number): void {
    if (status !== 200) return;
    if (operation === 'PutRecord') counters.entriesAccepted++;
    if (operation === 'PutRecords') {
      try {
        const failed =
          (JSON.parse(body.toString('utf8')) as { FailedRecordCount?: number }).FailedRecordCount ?? 0;
        counters.entriesAccepted += entryCount - failed;
      } catch {
        // an unreadable answer is the client's problem to report
      }
    }
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      counters.upstreamErrors++;
      if (!res.headersSent && !res.destroyed) {
        sendError(
          res,
          502,
          'InternalFailure',
          `fault-proxy: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    });
  });
  server.keepAliveTimeout = 5_000;
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get fault() {
      return fault;
    },
    setFault(next: Fault, ops?: readonly string[]) {
      fault = next;
      if (ops !== undefined) operations = new Set(ops);
    },
    stats: () => ({ ...counters }),
    resetStats() {
      counters = emptyStats();
    },
    close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const socket of sockets) socket.destroy();
      agent.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
