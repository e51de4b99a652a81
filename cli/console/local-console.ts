/**
 * The local console: a page on loopback that shows the local stack at work — the funnel per
 * destination with its trend, the records arriving in each destination stream, the dead-letter queue
 * with a redrive button, and an evaluate form. `local up` and `npm start -- --console` start it.
 *
 * Open it before the local stack (a port in use fails at once, and the handler wrappers it observes
 * the pipeline with go into `startLocalStack`), then attach the running stack.
 */
import { compileConfig } from '../../core/compiled-config.js';
import { JsonSyntaxError, UsageError } from '../../core/errors.js';
import { parseJson, stringifyExact } from '../../core/json-text.js';
import type { LocalStack, LocalStackOptions } from '../../local/stack.js';
import { evaluateImages, parseProfileImage } from '../evaluate.js';
import type { ConsoleOverview, EvaluateRequest, EvaluateResponse, TrendPoint } from './api-types.js';
import { ensureConsoleAssets } from './assets.js';
import { DeadLetterMonitor } from './dead-letters.js';
import { type FunnelSource, LocalMetricsFunnelSource } from './funnel-source.js';
import { PipelineObserver } from './pipeline-observer.js';
import { RecordFeed } from './record-feed.js';
import { type ConsoleBackend, type ConsoleServer, openConsoleServer } from './server.js';

/** The console's default port (`--console-port`): next to kinesalite's 4567, free of the other emulators'. */
export const CONSOLE_DEFAULT_PORT = 4600;

/** Options of {@link LocalConsole.open}. */
export interface LocalConsoleOptions {
  /** 0 = a free port (tests). @default CONSOLE_DEFAULT_PORT */
  readonly port?: number;
  /** The flag the "port in use" error names. @default --console-port */
  readonly portFlag?: string;
  /** Progress and operator actions (counts and ids only, never a document). */
  readonly log?: (line: string) => void;
  /** The built page's folder. @default - ensureConsoleAssets() (built when missing or stale) */
  readonly assetsDir?: string;
  /** How often the funnel's trend is sampled and the dead-letter queue's depth checked. @default 1000 */
  readonly sampleIntervalMs?: number;
}

/** Trend samples kept (an hour at one a second). */
const TREND_POINTS = 3_600;

/** A JSON text of the form as a profile image; empty = absent. @throws UsageError naming the field. */
function imageFrom(text: string, label: string) {
  if (text.trim() === '') return undefined;
  let json: unknown;
  try {
    json = parseJson(text);
  } catch (error) {
    throw new UsageError(`${label}: ${error instanceof JsonSyntaxError ? error.message : 'not JSON'}`);
  }
  return parseProfileImage(json, label);
}

/** The local console (see the module's description). */
export class LocalConsole {
  /** Observes the export handler to label records: pass {@link stackOptions} to `startLocalStack`. */
  readonly observer = new PipelineObserver();
  private parts:
    | {
        readonly stack: LocalStack;
        readonly feed: RecordFeed;
        readonly dlq: DeadLetterMonitor;
        readonly funnel: FunnelSource;
        readonly timer: NodeJS.Timeout;
        readonly startedAt: number;
      }
    | undefined;
  private readonly trend: TrendPoint[] = [];
  private sampling: Promise<void> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly server: ConsoleServer,
    private readonly options: LocalConsoleOptions,
  ) {}

  /**
   * Builds the page if needed and listens on 127.0.0.1.
   * @throws PortInUseError naming `--console-port` when the port is taken; UsageError when the page
   *   cannot be built.
   */
  static async open(options: LocalConsoleOptions = {}): Promise<LocalConsole> {
    const assetsDir = options.assetsDir ?? ensureConsoleAssets(options.log);
    const server = await openConsoleServer({
      port: options.port ?? CONSOLE_DEFAULT_PORT,
      assetsDir,
      ...(options.portFlag === undefined ? {} : { portFlag: options.portFlag }),
    });
    return new LocalConsole(server, options);
  }

  /** The page's address, e.g. http://127.0.0.1:4600/. */
  get url(): string {
    return this.server.url;
  }

  /** What `startLocalStack` needs for the console to see the pipeline (its handler wrappers). */
  get stackOptions(): Pick<LocalStackOptions, 'wrapHandlers'> {
    return { wrapHandlers: this.observer.wrapHandlers };
  }

  /**
   * Starts showing `stack`: reads its destination streams and dead-letter queue, and answers the page.
   * @param funnel the funnel source; @default - the local runtime's collected metrics (`stack.metrics`)
   */
  attach(stack: LocalStack, funnel: FunnelSource = new LocalMetricsFunnelSource(stack.metrics)): void {
    if (this.parts !== undefined) throw new Error('the console already shows a local stack');
    const feed = new RecordFeed({
      kinesis: stack.clients.kinesis,
      destinations: stack.config.destinations.map((d) => ({ id: d.id, streamName: d.streamName })),
      exportOf: (destination, profileId, text) => this.observer.exportOf(destination, profileId, text),
    });
    const dlq = new DeadLetterMonitor({
      sqs: stack.clients.sqs,
      dynamo: stack.clients.dynamodb,
      dlqUrl: stack.resources.deadLetterQueueUrl,
      exportQueueUrl: stack.resources.exportQueueUrl,
      stateTableName: stack.resources.stateTableName,
    });
    const timer = setInterval(() => {
      // One sample at a time: a slow DLQ listing delays the next sample instead of piling them up.
      this.sampling = this.sampling.then(() => this.sample());
    }, this.options.sampleIntervalMs ?? 1_000);
    timer.unref();
    this.parts = { stack, feed, dlq, funnel, timer, startedAt: Date.now() };
    this.server.attach(this.backend(compileConfig(stack.config)));
  }

  private async sample(): Promise<void> {
    const parts = this.parts;
    if (parts === undefined) return;
    await parts.dlq.refresh();
    try {
      const report = await parts.funnel.funnel({ sinceMs: Date.now() - parts.startedAt });
      const destinations = Object.fromEntries(
        report.destinations.map((d) => [
          d.id,
          {
            exported: Object.values(d.exported).reduce((a, b) => a + b, 0),
            delivered: d.delivered,
            deadLettered: d.deadLettered,
          },
        ]),
      );
      this.trend.push({ t: Date.now(), destinations });
      if (this.trend.length > TREND_POINTS) this.trend.shift();
    } catch {
      // The next sample tries again; the page shows the last one.
    }
  }

  private backend(config: ReturnType<typeof compileConfig>): ConsoleBackend {
    const parts = this.parts as NonNullable<LocalConsole['parts']>;
    const log = this.options.log ?? (() => undefined);
    return {
      overview: async (): Promise<ConsoleOverview> => ({
        now: Date.now(),
        funnel: await parts.funnel.funnel({ sinceMs: Date.now() - parts.startedAt }),
        funnelSource: parts.funnel.description,
        trend: this.trend,
        feeds: parts.feed.view(),
        dlq: parts.dlq.view(),
      }),
      recordDocument: (destination, seq) => parts.feed.document(destination, seq),
      redrive: async (request) => {
        const result = await parts.dlq.redrive(request);
        if (!request.dryRun) {
          // Counts and the destination id only.
          log(
            `console: redrive${request.destination === undefined ? '' : ` of ${request.destination}`} ${result.status.toLowerCase()}: ${result.moved} of ${result.toMove} moved, ${result.failed} failed`,
          );
        }
        return result;
      },
      evaluate: (request: EvaluateRequest): EvaluateResponse => {
        const oldImage = imageFrom(request.oldImage, 'old image');
        const newImage = imageFrom(request.newImage, 'new image');
        const { destinations } = evaluateImages(config, {
          ...(oldImage === undefined ? {} : { oldImage }),
          ...(newImage === undefined ? {} : { newImage }),
        });
        return {
          destinations: destinations.map((d) => ({
            id: d.id,
            export: d.export,
            reasons: d.reasons,
            payloadText: d.payload === null ? null : stringifyExact(d.payload, 2),
            ...(d.rejection === undefined ? {} : { rejection: d.rejection }),
          })),
        };
      },
    };
  }

  /** Stops reading the stack and closes the server. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const parts = this.parts;
    this.parts = undefined;
    if (parts !== undefined) {
      clearInterval(parts.timer);
      await this.sampling;
      await parts.feed.stop();
    }
    await this.server.close();
  }
}
