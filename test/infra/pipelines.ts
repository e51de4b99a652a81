import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack, type StackProps } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { KinesisDestination } from '../../lib/kinesis-destination.js';
import type { DestinationProps, KinesisDestinationProps } from '../../lib/kinesis-destination-props.js';

/** Builders of construct props for template tests (the construct's own, not the config file's). */

/** The catalog segment every test destination maps. */
export const SEGMENT = {
  id: '5b998cb9-9488-4ec3-8d95-fa8338ced490',
  name: 'First name equals John',
  mergePolicyId: 'mp-default',
  createdAt: 1_648_553_325_000,
  updatedAt: 1_648_553_330_000,
} as const;

/** A destination mapping {@link SEGMENT}, with the given target and overrides. */
export function destination(
  id: string,
  target: DestinationProps['target'],
  extra: Partial<DestinationProps> = {},
): DestinationProps {
  return {
    id,
    name: `Amazon Kinesis – ${id}`,
    target,
    segments: [{ id: SEGMENT.id, mappingCreatedAt: 1_649_856_570_000, mappingUpdatedAt: 1_649_856_570_000 }],
    attributes: ['person.name.firstName'],
    ...extra,
  };
}

/** An app for template tests: no bundling (the handlers are prebundled anyway), an output directory if given. */
export function testApp(outdir?: string): App {
  return new App({ ...(outdir === undefined ? {} : { outdir }), context: { 'aws:cdk:bundling-stacks': [] } });
}

/** A stack with one pipeline built from `props(stack)`. */
export function onePipeline(
  props: (stack: Stack) => KinesisDestinationProps,
  options: {
    readonly app?: App;
    readonly stackName?: string;
    readonly id?: string;
    readonly env?: StackProps['env'];
  } = {},
): { stack: Stack; pipeline: KinesisDestination; template: () => Template } {
  const stack = new Stack(options.app ?? testApp(), options.stackName ?? 'Team', {
    ...(options.env === undefined ? {} : { env: options.env }),
  });
  const pipeline = new KinesisDestination(stack, options.id ?? 'Pipeline', props(stack));
  let template: Template | undefined;
  return {
    stack,
    pipeline,
    template: () => {
      template ??= Template.fromStack(stack);
      return template;
    },
  };
}

type Json = Record<string, unknown>;

/** The config JSON the pipeline's layer holds, read from the synthesized assembly in `outdir`. */
export function layerConfigOf(template: Template, outdir: string): Json {
  const layers = Object.values(template.findResources('AWS::Lambda::LayerVersion'));
  if (layers.length !== 1) throw new Error(`expected one layer, found ${layers.length}`);
  const content = (layers[0]?.Properties.Content ?? {}) as Json;
  const key = String(content.S3Key).replace(/\.zip$/, '');
  return JSON.parse(
    readFileSync(join(outdir, `asset.${key}`, 'kinesis-destination', 'config.json'), 'utf8'),
  ) as Json;
}

/** The environment variables of the function whose logical id starts with `prefix`. */
export function environmentOf(template: Template, prefix: string): Json {
  const found = Object.entries(template.findResources('AWS::Lambda::Function')).filter(([id]) =>
    id.startsWith(prefix),
  );
  if (found.length !== 1) throw new Error(`expected one function ${prefix}*, found ${found.length}`);
  return ((found[0]?.[1].Properties.Environment as Json | undefined)?.Variables ?? {}) as Json;
}

/**
 * Every dimension set of the template's alarms whose logical id starts with `prefix`, as
 * `name=value,…` (math expressions' metrics included). A value that references a resource is written
 * `<stack>/<logical id>`: the same logical id in two stacks is two resources.
 */
export function alarmDimensions(template: Template, stackName: string, prefix = ''): string[] {
  const value = (v: unknown): string => {
    if (typeof v === 'object' && v !== null) {
      const ref = (v as Json).Ref ?? ((v as Json)['Fn::GetAtt'] as unknown[] | undefined)?.[0];
      if (typeof ref === 'string') return `${stackName}/${ref}`;
    }
    return JSON.stringify(v);
  };
  const sets: string[] = [];
  const alarms = Object.entries(template.findResources('AWS::CloudWatch::Alarm')).filter(([id]) =>
    id.startsWith(prefix),
  );
  for (const [, alarm] of alarms) {
    const p = alarm.Properties as Json;
    const dims = [
      p.Dimensions,
      ...((p.Metrics as Json[] | undefined) ?? []).map(
        (m) => ((m.MetricStat as Json | undefined)?.Metric as Json | undefined)?.Dimensions,
      ),
    ].filter((d): d is { Name: string; Value: unknown }[] => Array.isArray(d));
    for (const d of dims) sets.push(d.map((x) => `${x.Name}=${value(x.Value)}`).join(','));
  }
  return sets;
}

/** The RoleName of every role that has one. */
export function roleNames(template: Template): unknown[] {
  return Object.values(template.findResources('AWS::IAM::Role'))
    .map((r) => (r.Properties as Json).RoleName)
    .filter((n) => n !== undefined);
}
