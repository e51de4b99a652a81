import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { loadConfigFile } from '../../adapters/config-file.js';
import { type DestinationConfig, parseConfig } from '../../core/config.js';
import { KinesisDestinationStack } from '../../lib/kinesis-destination-stack.js';
import { addNagPacks } from '../../lib/nag.js';

/** The example config every deploy guide starts from. */
export const EXAMPLE_CONFIG_PATH = fileURLToPath(new URL('../../examples/config.json', import.meta.url));

const CDK_JSON = fileURLToPath(new URL('../../cdk.json', import.meta.url));

/**
 * The context of cdk.json — the recommended feature flags among it — which the CDK CLI gives the
 * default app: the tests synthesize the template `cdk synth` and `cdk deploy` produce.
 */
export function cdkJsonContext(): Record<string, unknown> {
  return (JSON.parse(readFileSync(CDK_JSON, 'utf8')) as { context: Record<string, unknown> }).context;
}

export function exampleConfig(): DestinationConfig {
  return loadConfigFile(EXAMPLE_CONFIG_PATH);
}

/** The example config with its destinations changed (validated again, defaults applied). */
export function configWith(
  change: (raw: { destinations: Record<string, unknown>[]; [key: string]: unknown }) => void,
): DestinationConfig {
  const raw = structuredClone(exampleConfig()) as unknown as {
    destinations: Record<string, unknown>[];
    [key: string]: unknown;
  };
  change(raw);
  return parseConfig(raw, 'test config');
}

/**
 * The variant app of the template snapshot and the nag test: destination 0 creates its stream
 * (on-demand), destination 1 is cross-account (`roleArn` + `externalId`), alerts go to one e-mail.
 */
export function variantsConfig(): DestinationConfig {
  return configWith((raw) => {
    Object.assign(raw.destinations[0] as object, { createStream: { mode: 'ON_DEMAND' } });
    Object.assign(raw.destinations[1] as object, {
      roleArn: 'arn:aws:iam::210987654321:role/kinesis-destination-writer',
      externalId: 'kd-external-id',
    });
    raw.alerts = { emails: ['oncall@example.com'] };
  });
}

export interface SynthOptions {
  /** Bundle the functions with esbuild (slow; one test needs it). @default false */
  readonly bundle?: boolean;
  /** Run the cdk-nag packs; synthesis throws on an unacknowledged finding. @default false */
  readonly nag?: boolean;
  readonly outdir?: string;
}

export interface Synthesized {
  readonly app: App;
  readonly stack: KinesisDestinationStack;
  readonly template: Template;
}

/** Synthesizes the stack for a config, as bin/app.ts does. */
export function synth(config: DestinationConfig, options: SynthOptions = {}): Synthesized {
  const app = new App({
    ...(options.outdir === undefined ? {} : { outdir: options.outdir }),
    context: {
      ...cdkJsonContext(),
      ...(options.bundle === true ? {} : { 'aws:cdk:bundling-stacks': [] }),
    },
  });
  const stack = new KinesisDestinationStack(app, 'KinesisDestination', { config });
  if (options.nag === true) addNagPacks(app);
  let template: Template | undefined;
  return {
    app,
    stack,
    // Template.fromStack synthesizes the app: created on first use, so nag tests can synth themselves.
    get template() {
      template ??= Template.fromStack(stack);
      return template;
    },
  };
}

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

/**
 * The `Statement` list of the policies attached to the role whose logical id starts with `rolePrefix`
 * (its default policy first, then any other, e.g. an AwsCustomResource's policy on the singleton's role).
 */
export function statementsOf(template: Template, rolePrefix: string): Record<string, unknown>[] {
  const policies = template.findResources('AWS::IAM::Policy') as Resources;
  const matches = Object.entries(policies)
    .filter(([, p]) =>
      ((p.Properties?.Roles as ({ Ref?: string } | string)[] | undefined) ?? []).some(
        (r) => typeof r === 'object' && r.Ref?.startsWith(rolePrefix) === true,
      ),
    )
    .sort(([a], [b]) => Number(b.includes('DefaultPolicy')) - Number(a.includes('DefaultPolicy')));
  if (matches.length === 0) throw new Error(`expected a policy for role ${rolePrefix}*, found none`);
  return matches.flatMap(
    ([, p]) =>
      (p.Properties?.PolicyDocument as { Statement?: Record<string, unknown>[] } | undefined)?.Statement ??
      [],
  );
}

/** Every action a role's policy allows, flattened. */
export function actionsOf(template: Template, rolePrefix: string): string[] {
  return statementsOf(template, rolePrefix)
    .flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]) as string[])
    .sort();
}

/** The statements that allow any of `actions`. */
export function statementsWith(
  template: Template,
  rolePrefix: string,
  prefix: string,
): Record<string, unknown>[] {
  return statementsOf(template, rolePrefix).filter((s) =>
    ((Array.isArray(s.Action) ? s.Action : [s.Action]) as string[]).some((a) => a.startsWith(prefix)),
  );
}

/** The ARN CloudFormation builds for an imported stream of the deploying account. */
export function importedStreamArn(region: string, streamName: string, account?: string): unknown {
  return {
    'Fn::Join': [
      '',
      [
        'arn:',
        { Ref: 'AWS::Partition' },
        ...(account === undefined
          ? [`:kinesis:${region}:`, { Ref: 'AWS::AccountId' }, `:stream/${streamName}`]
          : [`:kinesis:${region}:${account}:stream/${streamName}`]),
      ],
    ],
  };
}
