/**
 * SQS FIFO deduplication as AWS does it, in front of local-aws-sqs: "If multiple messages with the
 * same deduplication ID are sent within a 5 minute deduplication interval, they are treated as
 * duplicates, and only one copy is delivered", and "Amazon SQS continues tracking the deduplication
 * ID even after the message has been received and deleted" (Amazon SQS Developer Guide, FIFO queue
 * key terms). local-aws-sqs only compares with the messages still in the queue, so a producer's retry
 * that comes after the first copy was consumed is delivered twice locally and never on AWS.
 *
 * Only the JSON protocol (every SDK v3 client) of SendMessage and SendMessageBatch on a `.fifo` queue
 * with explicit deduplication ids is looked at, per message group; every other request goes through untouched. A
 * duplicate is answered as AWS answers it — accepted, with the first copy's message id — and not
 * forwarded.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';

/** The deduplication interval of SQS FIFO queues. */
export const DEDUPLICATION_WINDOW_MS = 5 * 60 * 1000;

const JSON_CONTENT_TYPE = 'application/x-amz-json-1.0';

interface SentEntry {
  readonly Id?: string;
  readonly MessageBody?: string;
  readonly MessageGroupId?: string;
  readonly MessageDeduplicationId?: string;
}

interface Remembered {
  readonly at: number;
  readonly messageId: string;
  readonly sequenceNumber?: string;
}

const md5 = (text: string) => createHash('md5').update(text, 'utf8').digest('hex');

function queueNameOf(queueUrl: unknown): string | undefined {
  return typeof queueUrl === 'string' ? queueUrl.split('/').filter(Boolean).at(-1) : undefined;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks);
}

/** The request again, with `body`, for the emulator (which reads headers and the body stream). */
function replay(req: IncomingMessage, body: Buffer): IncomingMessage {
  return Object.assign(Readable.from([body]), {
    headers: { ...req.headers, 'content-length': String(body.length) },
    method: req.method,
    url: req.url,
  }) as unknown as IncomingMessage;
}

/** Calls the emulator and hands its JSON answer to `onAnswer`, which may rewrite it before it is sent. */
function forward(
  handler: RequestListener,
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
  onAnswer: (
    status: number,
    json: Record<string, unknown> | undefined,
  ) => Record<string, unknown> | undefined,
): void {
  const end = res.end.bind(res);
  res.end = ((chunk?: unknown, ...rest: unknown[]) => {
    let json: Record<string, unknown> | undefined;
    try {
      json = typeof chunk === 'string' || Buffer.isBuffer(chunk) ? JSON.parse(String(chunk)) : undefined;
    } catch {
      json = undefined;
    }
    const rewritten = onAnswer(res.statusCode, json);
    if (rewritten === undefined) return end(chunk as never, ...(rest as []));
    if (!res.headersSent) res.removeHeader('content-length');
    return end(JSON.stringify(rewritten));
  }) as ServerResponse['end'];
  handler(replay(req, body), res);
}

/** Wraps local-aws-sqs's request listener with AWS's five-minute FIFO deduplication. */
export function withFifoDeduplication(
  handler: RequestListener,
  options: { windowMs?: number; now?: () => number } = {},
): RequestListener {
  const windowMs = options.windowMs ?? DEDUPLICATION_WINDOW_MS;
  const now = options.now ?? Date.now;
  const seen = new Map<string, Remembered>();
  const recall = (key: string): Remembered | undefined => {
    const entry = seen.get(key);
    if (entry !== undefined && now() - entry.at > windowMs) seen.delete(key);
    return entry !== undefined && now() - entry.at <= windowMs ? entry : undefined;
  };
  const prune = () => {
    if (seen.size < 50_000) return;
    for (const [key, entry] of seen) if (now() - entry.at > windowMs) seen.delete(key);
  };

  return (req, res) => {
    const target = String(req.headers['x-amz-target'] ?? '');
    const json = String(req.headers['content-type'] ?? '').startsWith(JSON_CONTENT_TYPE);
    if (!json || (target !== 'AmazonSQS.SendMessage' && target !== 'AmazonSQS.SendMessageBatch')) {
      handler(req, res);
      return;
    }
    void readBody(req).then((body) => {
      let request: Record<string, unknown>;
      try {
        request = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
      } catch {
        handler(replay(req, body), res);
        return;
      }
      const queue = queueNameOf(request.QueueUrl);
      if (queue === undefined || !queue.endsWith('.fifo')) {
        handler(replay(req, body), res);
        return;
      }
      // Per message group, as with `DeduplicationScope: messageGroup` (the export queue's high-throughput
      // mode); for a queue-scoped queue this drops fewer duplicates than AWS, never more.
      const keyOf = (entry: SentEntry) =>
        typeof entry.MessageDeduplicationId === 'string'
          ? `${queue}\u0000${entry.MessageGroupId ?? ''}\u0000${entry.MessageDeduplicationId}`
          : undefined;
      const remember = (key: string | undefined, result: Record<string, unknown> | undefined) => {
        if (key === undefined || typeof result?.MessageId !== 'string') return;
        prune();
        seen.set(key, {
          at: now(),
          messageId: result.MessageId,
          ...(typeof result.SequenceNumber === 'string' && { sequenceNumber: result.SequenceNumber }),
        });
      };
      const duplicateAnswer = (entry: SentEntry, first: Remembered) => ({
        ...(entry.Id !== undefined && { Id: entry.Id }),
        MessageId: first.messageId,
        MD5OfMessageBody: md5(entry.MessageBody ?? ''),
        ...(first.sequenceNumber !== undefined && { SequenceNumber: first.sequenceNumber }),
      });

      if (target === 'AmazonSQS.SendMessage') {
        const entry = request as SentEntry;
        const key = keyOf(entry);
        const first = key === undefined ? undefined : recall(key);
        if (first !== undefined) {
          res.writeHead(200, { 'content-type': JSON_CONTENT_TYPE });
          res.end(JSON.stringify(duplicateAnswer(entry, first)));
          return;
        }
        forward(handler, req, res, body, (status, answer) => {
          if (status === 200) remember(key, answer);
          return undefined;
        });
        return;
      }

      const entries = Array.isArray(request.Entries) ? (request.Entries as SentEntry[]) : [];
      const duplicates: Record<string, unknown>[] = [];
      const fresh: SentEntry[] = [];
      const batchKeys = new Set<string>();
      for (const entry of entries) {
        const key = keyOf(entry);
        const first = key === undefined ? undefined : recall(key);
        if (first !== undefined) duplicates.push(duplicateAnswer(entry, first));
        else if (key !== undefined && batchKeys.has(key)) fresh.push(entry);
        else {
          if (key !== undefined) batchKeys.add(key);
          fresh.push(entry);
        }
      }
      if (duplicates.length === 0) {
        forward(handler, req, res, body, (status, answer) => {
          if (status === 200) rememberBatch(answer);
          return undefined;
        });
        return;
      }
      if (fresh.length === 0) {
        res.writeHead(200, { 'content-type': JSON_CONTENT_TYPE });
        res.end(JSON.stringify({ Successful: duplicates }));
        return;
      }
      const forwarded = Buffer.from(JSON.stringify({ ...request, Entries: fresh }), 'utf8');
      forward(handler, req, res, forwarded, (status, answer) => {
        if (status !== 200 || answer === undefined) return undefined;
        rememberBatch(answer);
        const successful = Array.isArray(answer.Successful) ? answer.Successful : [];
        return { ...answer, Successful: [...successful, ...duplicates] };
      });

      function rememberBatch(answer: Record<string, unknown> | undefined): void {
        const byId = new Map(entries.map((e) => [e.Id, e]));
        for (const result of Array.isArray(answer?.Successful)
          ? (answer.Successful as Record<string, unknown>[])
          : []) {
          const entry = byId.get(typeof result.Id === 'string' ? result.Id : undefined);
          if (entry !== undefined) remember(keyOf(entry), result);
        }
      }
    });
  };
}
