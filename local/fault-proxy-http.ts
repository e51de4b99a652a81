/**
 * The fault proxy's HTTP plumbing: read a body, forward a request to the emulator, answer.
 */
import { type Agent, type IncomingMessage, request, type ServerResponse } from 'node:http';

/** An upstream answer, read whole. */
export interface UpstreamAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

/** Reads a request or response body to its end. */
export function readBody(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

/** The headers of a message, joined, without the hop-by-hop ones and those named in `skip`. */
function copyHeaders(headers: IncomingMessage['headers'], skip: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || skip.includes(name)) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/**
 * Sends `incoming`'s method, path and headers with `body` (possibly rewritten) to `target`.
 * @throws the connection error when the emulator cannot be reached.
 */
export function forward(
  target: URL,
  agent: Agent,
  incoming: IncomingMessage,
  body: Buffer,
): Promise<UpstreamAnswer> {
  return new Promise((resolve, reject) => {
    const headers = copyHeaders(incoming.headers, ['host', 'content-length', 'connection']);
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
          resolve({
            status: response.statusCode ?? 502,
            headers: copyHeaders(response.headers, ['content-length', 'connection', 'transfer-encoding']),
            body: data,
          });
        }, reject);
      },
    );
    upstream.on('error', reject);
    upstream.end(body);
  });
}

/** Answers, unless the caller is gone or already answered. */
export function send(
  res: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: Buffer,
): void {
  if (res.destroyed || res.writableEnded) return;
  res.writeHead(status, { ...headers, 'content-length': String(body.length) });
  res.end(body);
}

/** Answers with a Kinesis JSON error. */
export function sendError(res: ServerResponse, status: number, type: string, message: string): void {
  send(
    res,
    status,
    { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': type },
    Buffer.from(JSON.stringify({ __type: type, message })),
  );
}
