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
import { Agent, createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { seededRandom } from '../core/seeded-random.js';
import { forward, readBody, send, sendError, type UpstreamAnswer } from './fault-proxy-http.js';
import {
  acceptedEntries,
  chooseAction,
  chooseFailedEntries,
  entryCountOf,
  httpErrorType,
  type KinesisEntryResult,
  mergeEntryResults,
  operationOf,
} from './fault-proxy-rules.js';
import {
  type EntryErrorCode,
  emptyStats,
  type Fault,
  type FaultProxy,
  type FaultProxyOptions,
  type FaultProxyStats,
} from './fault-proxy-types.js';

export type {
  EntryErrorCode,
  Fault,
  FaultProxy,
  FaultProxyOptions,
  FaultProxyStats,
} from './fault-proxy-types.js';

const DEFAULT_OPERATIONS = ['PutRecords', 'PutRecord'];

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
  let counters: FaultProxyStats = emptyStats();
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
    const failed = chooseFailedEntries(records.length, share, code, random);
    const forwarded = records.filter((_, i) => failed[i] === null);
    let accepted: KinesisEntryResult[] = [];
    let headers: Record<string, string> = { 'content-type': 'application/x-amz-json-1.1' };
    if (forwarded.length > 0) {
      const answer = await forward(
        target,
        agent,
        req,
        Buffer.from(JSON.stringify({ ...input, Records: forwarded })),
      );
      if (answer.status !== 200) {
        // The emulator refused the whole call (e.g. no such stream): pass its answer on unchanged.
        send(res, answer.status, answer.headers, answer.body);
        return;
      }
      accepted = (JSON.parse(answer.body.toString('utf8')) as { Records: KinesisEntryResult[] }).Records;
      headers = answer.headers;
    }
    const merged = mergeEntryResults(failed, accepted);
    counters.entriesAccepted += merged.accepted;
    counters.entriesFailed += merged.injected;
    const answer = { FailedRecordCount: merged.FailedRecordCount, Records: merged.Records };
    send(res, 200, headers, Buffer.from(JSON.stringify(answer)));
  }

  /** Forwards the request as it is and counts what the emulator accepted. */
  async function forwardAndCount(
    req: IncomingMessage,
    body: Buffer,
    operation: string,
    entryCount: number,
  ): Promise<UpstreamAnswer> {
    const answer = await forward(target, agent, req, body);
    counters.entriesAccepted += acceptedEntries(operation, answer.status, answer.body, entryCount);
    return answer;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    counters.requests++;
    const operation = operationOf(req.headers['x-amz-target']);
    if (operation === 'PutRecords' || operation === 'PutRecord') counters.putBytes += body.length;
    let entryCount = 0;
    if (operation === 'PutRecords') {
      counters.putRecordsCalls++;
      entryCount = entryCountOf(body);
      counters.entries += entryCount;
    } else if (operation === 'PutRecord') {
      counters.entries++;
    }
    const action = chooseAction(fault, operation, operations, random);
    switch (action.kind) {
      case 'fail-entries':
        await putRecordsWithFailures(req, res, body, action.share, action.errorCode);
        return;
      case 'fail-record':
        counters.entriesFailed++;
        sendError(
          res,
          action.errorCode === 'InternalFailure' ? 500 : 400,
          action.errorCode,
          'injected by fault-proxy',
        );
        return;
      case 'http-error':
        counters.httpErrors++;
        sendError(res, action.status, httpErrorType(action.status), 'injected by fault-proxy');
        return;
      case 'stall':
        counters.stalled++;
        if (action.phase === 'after') {
          const answer = await forwardAndCount(req, body, operation, entryCount);
          await wait(action.ms);
          send(res, answer.status, answer.headers, answer.body);
          return;
        }
        await wait(action.ms);
        break;
      case 'hang':
        counters.hung++;
        return; // never answered; close() destroys the socket
      case 'drop':
        counters.dropped++;
        req.socket.destroy();
        return;
      case 'forward':
        break;
    }
    if (res.destroyed) return;
    const answer = await forwardAndCount(req, body, operation, entryCount);
    send(res, answer.status, answer.headers, answer.body);
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
