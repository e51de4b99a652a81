/**
 * closeServer() (local/close-server.ts): an emulator's listener closes without cutting an answer it
 * owes, unless the answer takes longer than the drain allows; idle keep-alive connections do not hold
 * it open.
 */
import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { closeServer } from '../../local/close-server.js';

const agent = new Agent({ keepAlive: true });
let server: Server | undefined;

/** A server on loopback that answers `done` after `answerAfterMs`, and how to know a request reached it. */
async function slowServer(answerAfterMs: number) {
  let received: () => void = () => undefined;
  const reached = new Promise<void>((resolve) => {
    received = resolve;
  });
  server = createServer((_req, res) => {
    received();
    setTimeout(() => res.end('done'), answerAfterMs);
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, reached };
}

/** The body of a GET, or the error that ended it. */
function get(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, agent }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      res.on('end', () => resolve(body));
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

afterEach(async () => {
  if (server?.listening) await closeServer(server, 0);
  server = undefined;
});

describe('closeServer()', () => {
  it('lets a request in flight have its answer when the answer comes within the drain', async () => {
    const { port, reached } = await slowServer(300);
    const answer = get(port);
    await reached;

    const closing = closeServer(server as Server, 60_000);

    await expect(answer).resolves.toBe('done');
    // The answered connection goes at once: closing ends long before the 60 s drain.
    await closing;
    expect(server?.listening).toBe(false);
  });

  it('cuts a request whose answer takes longer than the drain', async () => {
    const { port, reached } = await slowServer(5_000);
    const answer = get(port);
    await reached;

    await closeServer(server as Server, 50);

    await expect(answer).rejects.toThrow(/socket hang up|ECONNRESET/);
  });

  it('is not held open by an idle keep-alive connection', async () => {
    const { port } = await slowServer(0);
    await get(port); // the agent keeps its socket open, idle

    // Resolves with the idle socket closed, long before a 60 s drain would cut it.
    await closeServer(server as Server, 60_000);

    expect(server?.listening).toBe(false);
  });
});
