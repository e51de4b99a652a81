/**
 * `local up`'s metrics endpoint: a loopback HTTP server answering `GET /funnel?sinceMs=…&destination=…`
 * with the local runtime's funnel ({@link MetricsStore.funnel}: the `status --json` report and the
 * trends), so `kinesis-destination status`, run in another shell with the environment `local up`
 * prints (`KD_LOCAL_METRICS_URL`), reads the same metrics the handlers emitted. Chosen over a file
 * under `.local-state/`: nothing to clean up or to grow on disk, it answers only while the stack
 * runs, and two stacks on other ports never read each other's.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MetricsStore } from './metrics-store.js';

/** The path of the funnel. */
export const FUNNEL_PATH = '/funnel';

/** A running endpoint. */
export interface MetricsEndpoint {
  /** `http://127.0.0.1:<port>`: the value of `KD_LOCAL_METRICS_URL`. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves the store's funnel on 127.0.0.1 (`port` 0: a free port).
 * @throws the server's error when it cannot listen.
 */
export async function serveMetrics(store: MetricsStore, port = 0): Promise<MetricsEndpoint> {
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const sinceMs = Number(url.searchParams.get('sinceMs'));
    if (
      request.method !== 'GET' ||
      url.pathname !== FUNNEL_PATH ||
      !Number.isSafeInteger(sinceMs) ||
      sinceMs <= 0
    ) {
      response.writeHead(400, { 'content-type': 'text/plain' });
      response.end(`GET ${FUNNEL_PATH}?sinceMs=<positive whole ms>[&destination=<id>]\n`);
      return;
    }
    const destination = url.searchParams.get('destination');
    const view = store.funnel({ sinceMs, ...(destination === null ? {} : { destination }) });
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(view));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
