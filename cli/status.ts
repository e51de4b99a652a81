/**
 * `kinesis-destination status`: the delivery funnel of each destination over a window — one row per
 * stage with its trend, the latency against the page's 10-minute promise, the alarms in ALARM. On AWS
 * it reads CloudWatch (cli/status-cloudwatch.ts); against `local up` (its printed
 * `KD_LOCAL_METRICS_URL`, and no `--stack`) the local runtime's collected metrics
 * (local/metrics-endpoint.ts). Both end in core/funnel.ts's report, so `--json` is the same shape.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { Command } from 'commander';
import { z } from 'zod';
import { loadConfigFile, namedConfigPath } from '../adapters/config-file.js';
import { LOCAL_METRICS_URL_VARIABLE } from '../core/environment-variables.js';
import { UsageError } from '../core/errors.js';
import type { FunnelView } from '../core/funnel.js';
import { renderFunnel } from '../core/funnel-render.js';
import { STACK_OUTPUT, selectPipelineOutputs } from '../core/stack-outputs.js';
import {
  DEFAULT_STACK_NAME,
  type DeploymentCommandOptions,
  selectDestinations,
  withDeploymentOptions,
} from './deployment.js';
import { destinationsInCloudWatch, readCloudWatchFunnel } from './status-cloudwatch.js';

/** `--since` units, in ms. */
const UNITS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** The longest window: CloudWatch keeps one-minute datapoints 15 days. */
export const MAX_SINCE_MS = 15 * UNITS.d;

/**
 * Parses `--since`: a whole number and a unit, `m`, `h` or `d` (`30m`, `1h`, `7d`), up to 15 days.
 * @throws UsageError naming the flag, what was given and the form.
 */
export function parseSince(value: string): number {
  const match = /^([1-9]\d{0,5})([mhd])$/.exec(value.trim());
  const ms = match === null ? Number.NaN : Number(match[1]) * UNITS[match[2] as keyof typeof UNITS];
  if (!Number.isSafeInteger(ms) || ms > MAX_SINCE_MS)
    throw new UsageError(
      `--since ${JSON.stringify(value)}: give a whole number and a unit, m, h or d (30m, 1h, 7d), up to 15d`,
    );
  return ms;
}

/** The flags of `status`. */
export interface StatusFlags extends DeploymentCommandOptions {
  readonly since: string;
  readonly destination?: string;
  readonly json?: boolean;
}

/** What `status` talks to; tests inject each. */
export interface StatusDependencies {
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly cloudWatch?: CloudWatchClient;
  readonly cloudFormation?: CloudFormationClient;
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
}

const funnelViewSchema = z.object({
  report: z.object({
    window: z.object({ from: z.string(), to: z.string() }),
    destinations: z.array(z.object({ id: z.string() }).loose()),
  }),
  trends: z.record(z.string(), z.unknown()),
  bucketMs: z.number(),
});

async function readLocalFunnel(url: string, sinceMs: number, flags: StatusFlags, deps: StatusDependencies) {
  const query = new URLSearchParams({ sinceMs: String(sinceMs) });
  if (flags.destination !== undefined) query.set('destination', flags.destination);
  let body: unknown;
  try {
    const response = await (deps.fetch ?? fetch)(`${url}/funnel?${query}`);
    if (!response.ok) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
    body = await response.json();
  } catch (error) {
    throw new UsageError(
      `the local stack's metrics at ${url} (${LOCAL_METRICS_URL_VARIABLE}) cannot be read (${error instanceof Error ? error.message : String(error)}): is \`local up\` still running? Unset ${LOCAL_METRICS_URL_VARIABLE}, or pass --stack, to read CloudWatch instead`,
      { cause: error },
    );
  }
  const view = funnelViewSchema.parse(body) as unknown as FunnelView;
  if (flags.destination !== undefined && view.report.destinations.length === 0)
    throw new UsageError(`no destination "${flags.destination}" in the local stack's config`);
  return view;
}

async function pipelineNameOf(stack: string, pipeline: string | undefined, client: CloudFormationClient) {
  let outputs: Map<string, string>;
  try {
    const answer = await client.send(new DescribeStacksCommand({ StackName: stack }));
    outputs = new Map(
      (answer.Stacks?.[0]?.Outputs ?? []).flatMap((o) =>
        o.OutputKey === undefined || o.OutputValue === undefined
          ? []
          : [[o.OutputKey, o.OutputValue] as const],
      ),
    );
  } catch (error) {
    throw new UsageError(
      `the outputs of stack "${stack}" could not be read (${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}); pass --stack with the deployed stack's name`,
      { cause: error },
    );
  }
  return selectPipelineOutputs(outputs, pipeline, `stack "${stack}"`).get(STACK_OUTPUT.pipelineName);
}

/**
 * The destinations `status` reports on AWS: the config's when one is named (`--config`, `KD_CONFIG`),
 * narrowed by `--destination`; else `--destination` alone; else the ones CloudWatch has funnel metrics
 * of for the pipeline — never a config file the operator did not name (the example config's ids are not
 * the deployment's).
 * @throws UsageError for an unknown `--destination` in the config, or when CloudWatch knows none.
 */
async function destinationIds(
  flags: StatusFlags,
  env: Readonly<Record<string, string | undefined>>,
  stack: string,
  pipelineName: string | undefined,
  cloudWatch: CloudWatchClient,
): Promise<string[]> {
  const configPath = namedConfigPath(flags.config, env);
  if (configPath !== undefined)
    return selectDestinations(loadConfigFile(configPath), flags.destination).map((d) => d.id);
  if (flags.destination !== undefined) return [flags.destination];
  const found = await destinationsInCloudWatch(cloudWatch, pipelineName);
  if (found.length === 0)
    throw new UsageError(
      `CloudWatch has no funnel metrics of ${pipelineName === undefined ? `stack "${stack}"` : `pipeline "${pipelineName}" of stack "${stack}"`} (none in the last two weeks, or the first arrived less than 15 minutes ago), so there is no destination to report on: pass --config with the deployment's config file, or --destination ID`,
    );
  return found;
}

/**
 * The funnel view `status` prints: from the local stack when `KD_LOCAL_METRICS_URL` is set and no
 * `--stack` is given, else from CloudWatch for the stack (`--stack`, else the default) and its
 * destinations (the named config's, else the ones CloudWatch has metrics of).
 * @throws UsageError for a bad flag, an unknown destination, an unreadable source.
 */
export async function statusView(flags: StatusFlags, deps: StatusDependencies = {}): Promise<FunnelView> {
  const sinceMs = parseSince(flags.since);
  const env = deps.env ?? process.env;
  const localUrl = env[LOCAL_METRICS_URL_VARIABLE];
  if (flags.stack === undefined && flags.pipeline !== undefined)
    throw new UsageError(
      `--pipeline ${flags.pipeline} chooses one pipeline of a stack; pass --stack NAME too`,
    );
  if (flags.stack === undefined && localUrl !== undefined && localUrl.length > 0)
    return readLocalFunnel(localUrl, sinceMs, flags, deps);
  const stack = flags.stack ?? DEFAULT_STACK_NAME;
  const pipelineName = await pipelineNameOf(
    stack,
    flags.pipeline,
    deps.cloudFormation ?? new CloudFormationClient({}),
  );
  const cloudWatch = deps.cloudWatch ?? new CloudWatchClient({});
  const destinations = await destinationIds(flags, env, stack, pipelineName, cloudWatch);
  const to = (deps.now ?? Date.now)();
  return readCloudWatchFunnel(cloudWatch, {
    window: { from: to - sinceMs, to },
    destinations,
    alarmPrefix: stack,
    ...(pipelineName === undefined ? {} : { pipelineName }),
  });
}

/** Registers `status`. */
export function registerStatusCommand(program: Command): void {
  withDeploymentOptions(
    program
      .command('status')
      .description(
        "the delivery funnel of each destination over a window: evaluated, exported, skipped, rejected, delivered, retried, dead-lettered, redriven, latency against the 10-minute promise, alarms in ALARM (CloudWatch; the local stack's metrics with the environment `local up` prints)",
      )
      .option('--since <window>', 'the window: 30m, 1h, 7d (up to 15d)', '1h')
      .option('--destination <id>', 'only this destination')
      .option('--json', 'print the report as JSON: { window, destinations: [...] }'),
  ).action(async (flags: StatusFlags) => {
    const view = await statusView(flags);
    process.stdout.write(
      flags.json === true ? `${JSON.stringify(view.report, null, 2)}\n` : renderFunnel(view),
    );
  });
}
