/**
 * AWS JSON 1.0 calls to a local emulator, answered as the parsed JSON of the wire. The local
 * event-source runtime polls through these instead of SDK commands: the SDK's model-driven
 * deserializer cost about five times the call itself on the stream's records (390 µs against 70 µs per
 * record with both images of the bench's profile), and its SQS receive and delete twice and a half
 * the call itself — on the one thread that the handlers, the profile writer and two emulators share,
 * for work that Lambda's own pollers do outside the function (BENCHMARKS.md, section 3).
 *
 * Requests go to the endpoint the SDK client was built with, over HTTP/1.1 with keep-alive, and
 * carry an `Authorization` header of the client's access key: the emulators do not verify
 * signatures (DynamoDB Local only requires the header). For the emulators only, never for AWS.
 * No retries: every caller in the runtime already tries again on its own schedule.
 */
import { Agent, request } from 'node:http';
import { EmulatorCallError } from './errors.js';

/** What {@link EmulatorJsonClient.of} reads from an SDK client: its endpoint and credentials. */
export interface SdkClientConfig {
  readonly config: {
    readonly endpoint?: () => Promise<{ hostname: string; port?: number; path: string }>;
    readonly credentials: () => Promise<{ accessKeyId: string }>;
  };
}

/** Per-request timeout, as the local SDK clients' (`local/clients.ts`). */
const REQUEST_TIMEOUT_MS = 10_000;

/** Where and how a call goes. */
interface Target {
  readonly hostname: string;
  readonly port: number;
  readonly path: string;
  readonly authorization: string;
}

/** JSON calls to one emulator service. */
export class EmulatorJsonClient {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 50 });
  private target: Promise<Target>;

  private constructor(
    private readonly resolveTarget: () => Promise<Target>,
    private readonly targetPrefix: string,
    private readonly contentType: string,
  ) {
    this.target = resolveTarget();
    // A failed resolution is reported by the first call, and tried again by the next.
    this.target.catch(() => undefined);
  }

  /**
   * Calls to the emulator an SDK client points at. `service` is the signing name (`dynamodb` for
   * DynamoDB and its streams, `sqs`), `targetPrefix` the `X-Amz-Target` prefix of its operations
   * (`DynamoDBStreams_20120810`, `AmazonSQS`, `Kinesis_20131202`), `contentType` its protocol's
   * (AWS JSON 1.0; Kinesis speaks 1.1).
   */
  static of(
    client: SdkClientConfig,
    service: string,
    targetPrefix: string,
    contentType = 'application/x-amz-json-1.0',
  ): EmulatorJsonClient {
    return new EmulatorJsonClient(
      async () => {
        const endpoint = await client.config.endpoint?.();
        if (endpoint === undefined)
          throw new EmulatorCallError(
            'the SDK client has no endpoint: the local runtime polls emulators only',
            0,
          );
        const { accessKeyId } = await client.config.credentials();
        return {
          hostname: endpoint.hostname,
          port: endpoint.port ?? 80,
          path: endpoint.path || '/',
          authorization: `AWS4-HMAC-SHA256 Credential=${accessKeyId}/20250101/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=0`,
        };
      },
      targetPrefix,
      contentType,
    );
  }

  /**
   * Calls `operation` with `input`; resolves with the answer's JSON.
   * @throws EmulatorCallError (named after the error type the emulator answered) or the socket's error.
   */
  async call<T>(operation: string, input: object): Promise<T> {
    const target = await this.target.catch((error: unknown) => {
      this.target = this.resolveTarget();
      throw error;
    });
    const payload = JSON.stringify(input);
    return new Promise<T>((resolve, reject) => {
      const req = request(
        {
          agent: this.agent,
          host: target.hostname,
          port: target.port,
          path: target.path,
          method: 'POST',
          headers: {
            'Content-Type': this.contentType,
            'Content-Length': Buffer.byteLength(payload),
            'X-Amz-Target': `${this.targetPrefix}.${operation}`,
            Authorization: target.authorization,
            // Kinesalite refuses an Authorization header without a date (the others ignore it).
            'X-Amz-Date': '20250101T000000Z',
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const status = res.statusCode ?? 0;
            let json: unknown;
            try {
              json = text.length === 0 ? {} : JSON.parse(text);
            } catch {
              reject(
                new EmulatorCallError(
                  `${operation}: not JSON (HTTP ${status}): ${text.slice(0, 200)}`,
                  status,
                ),
              );
              return;
            }
            if (status >= 200 && status < 300) resolve(json as T);
            else reject(EmulatorCallError.fromAnswer(operation, status, json));
          });
        },
      );
      req.setTimeout(REQUEST_TIMEOUT_MS, () =>
        req.destroy(new EmulatorCallError(`${operation}: no answer within ${REQUEST_TIMEOUT_MS} ms`, 0)),
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** Closes the kept-alive sockets. */
  destroy(): void {
    this.agent.destroy();
  }
}
