/** Small helpers of the fault suite: an in-process kinesalite and Kinesis clients aimed at it. */
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';

const require = createRequire(import.meta.url);
const kinesalite = require('kinesalite') as (options: {
  createStreamMs?: number;
  deleteStreamMs?: number;
  shardLimit?: number;
}) => Server;

/** A kinesalite server listening on a free loopback port. */
export interface Kinesalite {
  readonly url: string;
  close(): Promise<void>;
}

/** Starts kinesalite in memory on a free loopback port, streams created instantly. */
export async function startKinesalite(): Promise<Kinesalite> {
  const server = kinesalite({ createStreamMs: 0, deleteStreamMs: 0, shardLimit: 100 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A Kinesis client over HTTP/1.1 (the emulators do not speak HTTP/2) with test credentials. */
export function kinesisClient(
  endpoint: string,
  options: { maxAttempts?: number; requestTimeoutMs?: number } = {},
): KinesisClient {
  return new KinesisClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: options.maxAttempts ?? 3,
    requestHandler: new NodeHttpHandler({
      requestTimeout: options.requestTimeoutMs ?? 10_000,
      // Without this the SDK only logs a warning when the timeout passes.
      throwOnRequestTimeout: true,
    }),
  });
}
