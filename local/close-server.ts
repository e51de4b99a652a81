/**
 * Closing an in-process emulator's HTTP listener without losing an answer it owes.
 */
import type { Server } from 'node:http';

/** How long `stop()` lets requests in flight finish before it cuts them: the stack is going away. */
export const STOP_DRAIN_MS = 2_000;

/**
 * How long `restart()` lets requests in flight finish. The emulators answer in milliseconds, but they
 * run in the process of the functions they serve: on a machine busy enough that the event loop waits
 * seconds for its turn, an answer can still be owed after two — and a receive answer cut in a restart
 * leaves its messages invisible where the local mapping cannot see them, so a FIFO group's later
 * messages overtake them (SQS would hold them back; the SQS emulator does not).
 */
export const RESTART_DRAIN_MS = 15_000;

/** How often a closing server closes the keep-alive connections that have gone idle. */
const SWEEP_MS = 20;

/**
 * Stops accepting connections and lets the requests in flight finish; after `drainMs` the rest are
 * cut. Resolves once every connection is gone: an idle keep-alive connection closes at once, a busy one
 * as soon as it has answered (Node's `close()` leaves a keep-alive connection that answers after it
 * open, so it would otherwise wait the whole drain).
 */
export async function closeServer(server: Server, drainMs: number): Promise<void> {
  if (!server.listening) return;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const sweep = setInterval(() => server.closeIdleConnections(), SWEEP_MS);
  const cut = setTimeout(() => server.closeAllConnections(), drainMs);
  await closed;
  clearInterval(sweep);
  clearTimeout(cut);
}
