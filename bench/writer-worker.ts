/**
 * The benchmark's upstream writer, in its own worker thread. In production the services that write
 * profiles are other processes; on the local stack the writer shared the pipeline's one thread, and
 * its SDK work (about 1 ms of CPU per profile write: a read and a conditional put, each marshalled,
 * signed and parsed) was counted against the pipeline. Here it runs beside the pipeline, as
 * upstream writers do, for the raw rounds and the end-to-end steps alike.
 *
 * Messages in: {@link WriterTask}; out: {@link WriterReply}, matched by `id`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { writeProfiles } from '../adapters/profile-writer.js';
import { createDynamoDbClient } from '../local/clients.js';

/** A round of writes as fast as `concurrency` allows, or writes paced at `rate` per second. */
export type WriterTask =
  | {
      readonly id: number;
      readonly kind: 'round';
      readonly table: string;
      readonly documents: readonly unknown[];
      readonly concurrency: number;
    }
  | {
      readonly id: number;
      readonly kind: 'paced';
      readonly table: string;
      readonly rate: number;
      readonly seconds: number;
      readonly concurrency: number;
      /** Write n goes to profileIds[n % length] with the e-mail `${prefix}${n}@bench.example.com`. */
      readonly profileIds: readonly string[];
      readonly prefix: string;
    };

/** What a paced run did: when each write started (epoch ms, the clock the main thread reads too). */
export interface PacedResult {
  readonly started: ReadonlyArray<readonly [number, number]>;
  readonly achieved: number;
  readonly errors: number;
  readonly writeMs: readonly number[];
}

export type WriterReply =
  | { readonly id: number; readonly ok: true; readonly seconds: number }
  | { readonly id: number; readonly ok: true; readonly paced: PacedResult }
  | { readonly id: number; readonly ok: false; readonly error: string };

/** The e-mail address of write `token`. */
export function benchEmail(token: string): string {
  return `${token}@bench.example.com`;
}

/** Starts writes at `rate` per second for `seconds`, at most `inFlight` at once. */
export async function paced(
  rate: number,
  seconds: number,
  inFlight: number,
  write: (n: number) => Promise<void>,
): Promise<PacedResult> {
  const started: Array<[number, number]> = [];
  const writeMs: number[] = [];
  const total = Math.round(rate * seconds);
  const t0 = performance.now();
  let issued = 0;
  let running = 0;
  let errors = 0;
  const pending = new Set<Promise<void>>();
  while (issued < total) {
    const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate) + 1);
    while (issued < due && running < inFlight) {
      const n = issued++;
      running++;
      started.push([n, Date.now()]);
      const t0write = performance.now();
      const p = write(n)
        .then(() => {
          writeMs.push(performance.now() - t0write);
        })
        .catch(() => {
          errors++;
        })
        .finally(() => {
          running--;
          pending.delete(p);
        });
      pending.add(p);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await Promise.all(pending);
  const elapsed = (performance.now() - t0) / 1000;
  return { started, achieved: total / Math.max(elapsed, seconds), errors, writeMs };
}

function serve(endpoint: string): void {
  const port = parentPort;
  if (port === null) throw new Error('bench/writer-worker.ts runs as a worker thread (see writer-thread.ts)');
  const client = createDynamoDbClient(endpoint);
  const run = async (task: WriterTask): Promise<WriterReply> => {
    if (task.kind === 'round') {
      const t0 = performance.now();
      await writeProfiles(task.documents, { tableName: task.table, client, concurrency: task.concurrency });
      return { id: task.id, ok: true, seconds: (performance.now() - t0) / 1000 };
    }
    const result = await paced(task.rate, task.seconds, task.concurrency, async (n) => {
      const profileId = task.profileIds[n % task.profileIds.length] as string;
      await writeProfiles([{ profileId, personalEmail: { address: benchEmail(`${task.prefix}${n}`) } }], {
        tableName: task.table,
        client,
      });
    });
    return { id: task.id, ok: true, paced: result };
  };
  port.on('message', (task: WriterTask) => {
    run(task).then(
      (reply) => port.postMessage(reply),
      (error: unknown) =>
        port.postMessage({
          id: task.id,
          ok: false,
          error: error instanceof Error ? error.message : String(error),
        }),
    );
  });
}

if (parentPort !== null && typeof (workerData as { endpoint?: unknown } | null)?.endpoint === 'string') {
  serve((workerData as { endpoint: string }).endpoint);
}
