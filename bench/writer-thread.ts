/**
 * The main thread's handle on the benchmark's writer thread (bench/writer-worker.ts): one task at a
 * time or several, each answered by id.
 */
import { Worker } from 'node:worker_threads';
import type { PacedResult, WriterReply, WriterTask } from './writer-worker.js';

/** Distributes `Omit` over a union, so each task kind keeps its own fields. */
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

export interface WriterThread {
  /** Writes `documents` through the profile writer as fast as `concurrency` allows; seconds taken. */
  round(table: string, documents: readonly unknown[], concurrency: number): Promise<number>;
  /** Paced writes (see `paced` in writer-worker.ts). */
  paced(task: Omit<Extract<WriterTask, { kind: 'paced' }>, 'id' | 'kind'>): Promise<PacedResult>;
  close(): Promise<void>;
}

/**
 * Starts the writer thread against DynamoDB at `endpoint`. The worker loads TypeScript through
 * tsx's API (a worker does not inherit the loader `tsx` gave this thread).
 */
export function startWriterThread(endpoint: string): WriterThread {
  const entry = new URL('./writer-worker.ts', import.meta.url).href;
  const worker = new Worker(
    `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(entry)}); })`,
    { eval: true, workerData: { endpoint } },
  );
  worker.unref();
  const waiting = new Map<
    number,
    { resolve: (reply: WriterReply) => void; reject: (error: Error) => void }
  >();
  let nextId = 0;
  const failAll = (error: Error) => {
    for (const w of waiting.values()) w.reject(error);
    waiting.clear();
  };
  worker.on('message', (reply: WriterReply) => {
    const w = waiting.get(reply.id);
    waiting.delete(reply.id);
    w?.resolve(reply);
  });
  worker.on('error', failAll);
  worker.on('exit', (code) => failAll(new Error(`the bench's writer thread exited (code ${code})`)));
  const ask = async (task: WithoutId<WriterTask>): Promise<WriterReply> => {
    const id = nextId++;
    const reply = await new Promise<WriterReply>((resolve, reject) => {
      waiting.set(id, { resolve, reject });
      worker.postMessage({ ...task, id });
    });
    if (!reply.ok) throw new Error(`bench writer thread: ${reply.error}`);
    return reply;
  };
  return {
    round: async (table, documents, concurrency) => {
      const reply = await ask({ kind: 'round', table, documents, concurrency });
      if (!('seconds' in reply)) throw new Error('bench writer thread: a round answered without its time');
      return reply.seconds;
    },
    paced: async (task) => {
      const reply = await ask({ kind: 'paced', ...task });
      if (!('paced' in reply))
        throw new Error('bench writer thread: a paced run answered without its result');
      return reply.paced;
    },
    close: async () => {
      await worker.terminate();
    },
  };
}
