import { RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { partitionOfRegion } from '../core/arn-rules.js';
import { type DestinationConfig, parseConfig } from '../core/config.js';
import { ConfigError } from '../core/errors.js';
import { isOutputPrefix, outputPrefixOf } from '../core/stack-outputs.js';
import {
  type DeployTimeField,
  type DestinationDocument,
  destinationDocument,
  literalPartition,
  propIssue,
  type ResolvedTarget,
  validationDocument,
} from './destination-resolution.js';
import { KinesisDestinationPropsError } from './errors.js';
import {
  existingProfileTableIssues,
  existingStateTableIssues,
  profileTablePropsIssues,
} from './kinesis-destination-defaults.js';
import type { KinesisDestinationProps } from './kinesis-destination-props.js';
import { assumingRoleName, defaultPipelineName, PIPELINE_NAME, ROLE_NAME } from './physical-names.js';

/**
 * `KinesisDestinationProps` checked and turned into what the construct builds from: every problem
 * collected first (the props' own and the destination config's, each with its prop path and fix) and
 * thrown together in one {@link KinesisDestinationPropsError}.
 */

/** What the construct builds from. */
export interface ResolvedProps {
  /** The validated destinations and catalog; deploy-time values (tokens) in place. */
  readonly config: DestinationConfig;
  /** The config as the layer holds it: literal values only (deploy-time fields left out). */
  readonly layerConfig: DestinationConfig;
  /** The deploy-time values, by destination id and field: `KD_CONFIG_OVERRIDES`. */
  readonly overrides: Readonly<Record<string, Partial<Record<DeployTimeField, string>>>>;
  /** Each destination's target as CDK objects, by destination id. */
  readonly targets: ReadonlyMap<string, ResolvedTarget>;
  readonly pipelineName: string;
  readonly outputPrefix: string;
  readonly exportRoleName: string;
  readonly connectionCheckRoleName: string;
}

/** The prefixes and role names taken in an app, so that two pipelines never share one. */
const taken = new WeakMap<Construct, Map<string, string>>();

function claim(root: Construct, what: string, path: string): string | undefined {
  const names = taken.get(root) ?? new Map<string, string>();
  taken.set(root, names);
  const holder = names.get(what);
  if (holder !== undefined && holder !== path) return holder;
  names.set(what, path);
  return undefined;
}

/**
 * Resolves the props of the construct `scope`.
 * @throws KinesisDestinationPropsError listing every problem, each with its prop path and fix.
 */
export function resolveProps(scope: Construct, props: KinesisDestinationProps): ResolvedProps {
  const issues: string[] = [...ownIssues(props)];
  const pipelineName = props.pipelineName ?? defaultPipelineName(scope);
  if (!PIPELINE_NAME.test(pipelineName)) {
    issues.push(
      `pipelineName: "${pipelineName}" must be 1–128 letters, digits or "-", starting with a letter or digit`,
    );
  }
  const outputPrefix = props.outputPrefix ?? outputPrefixOf(pipelineName);
  if (!isOutputPrefix(outputPrefix)) {
    issues.push(
      `outputPrefix: "${outputPrefix}" must be letters and digits only (CloudFormation output keys)`,
    );
  }
  const exportRoleName = props.exportRoleName ?? assumingRoleName(scope, pipelineName, 'export');
  const connectionCheckRoleName =
    props.connectionCheckRoleName ?? assumingRoleName(scope, pipelineName, 'connectionCheck');
  for (const [prop, name] of [
    ['exportRoleName', exportRoleName],
    ['connectionCheckRoleName', connectionCheckRoleName],
  ] as const) {
    if (!Token.isUnresolved(name) && !ROLE_NAME.test(name)) {
      issues.push(`${prop}: "${name}" is not an IAM role name (1–64 of letters, digits and +=,.@_-)`);
    }
  }
  issues.push(...collisions(scope, { pipelineName, outputPrefix, exportRoleName, connectionCheckRoleName }));

  const destinations = props.destinations.map((d, i) => destinationDocument(scope, d, i));
  for (const d of destinations) issues.push(...d.issues);
  const config = validated(scope, props, destinations, issues);
  if (issues.length > 0 || config === undefined) {
    throw new KinesisDestinationPropsError(issues, { subject: `KinesisDestination ${scope.node.path}` });
  }

  const overrides: Record<string, Partial<Record<DeployTimeField, string>>> = {};
  const targets = new Map<string, ResolvedTarget>();
  const withTokens = config.destinations.map((d, i) => {
    const document = destinations[i] as DestinationDocument;
    targets.set(d.id, document.target);
    if (Object.keys(document.deployTime).length === 0) return d;
    overrides[d.id] = document.deployTime;
    return { ...d, ...document.deployTime };
  });
  const literalOnly = config.destinations.map((d) => {
    const deployTime = overrides[d.id];
    if (deployTime === undefined) return d;
    return Object.fromEntries(Object.entries(d).filter(([field]) => !(field in deployTime))) as typeof d;
  });
  return {
    config: { ...config, destinations: withTokens },
    layerConfig: { ...config, destinations: literalOnly },
    overrides,
    targets,
    pipelineName,
    outputPrefix,
    exportRoleName,
    connectionCheckRoleName,
  };
}

/** The problems of the props that are not the destination config's. */
function ownIssues(props: KinesisDestinationProps): string[] {
  const issues: string[] = [];
  if (props.existingProfileTable !== undefined && props.profileTableProps !== undefined) {
    issues.push(
      'existingProfileTable, profileTableProps: use one, not both: profileTableProps configures the table the construct creates when none is given',
    );
  }
  if (props.existingProfileTable !== undefined)
    issues.push(...existingProfileTableIssues(props.existingProfileTable));
  issues.push(...profileTablePropsIssues(props.profileTableProps));
  if (props.existingStateTable !== undefined)
    issues.push(...existingStateTableIssues(props.existingStateTable));
  if (props.dataRemovalPolicy === RemovalPolicy.SNAPSHOT) {
    issues.push(
      'dataRemovalPolicy: SNAPSHOT is not supported: SQS queues and Kinesis streams have no snapshot; use RETAIN_ON_UPDATE_OR_DELETE (the default), RETAIN or DESTROY',
    );
  }
  if (props.kinesisEndpoint === true && props.staticEgressIps !== true) {
    issues.push(
      'kinesisEndpoint: needs staticEgressIps: true: the endpoint is placed in the VPC that option creates',
    );
  }
  const ids = props.elasticIpAllocationIds;
  if (ids !== undefined) {
    if (props.staticEgressIps !== true) {
      issues.push(
        "elasticIpAllocationIds: needs staticEgressIps: true: the addresses go to that network's NAT gateways",
      );
    }
    if (ids.length !== 2)
      issues.push(
        `elasticIpAllocationIds: must name 2 allocation ids (one per availability zone), not ${ids.length}`,
      );
    ids.forEach((id, i) => {
      if (!Token.isUnresolved(id) && !/^eipalloc-[0-9a-f]{8,17}$/.test(id)) {
        issues.push(`elasticIpAllocationIds[${i}]: "${id}" is not an Elastic IP allocation id (eipalloc-…)`);
      }
    });
  }
  return issues;
}

/** Names this pipeline would share with another of the app. */
function collisions(
  scope: Construct,
  names: {
    pipelineName: string;
    outputPrefix: string;
    exportRoleName: string;
    connectionCheckRoleName: string;
  },
): string[] {
  const stack = Stack.of(scope);
  const path = scope.node.path;
  const found: string[] = [];
  const prefixHolder = claim(stack, `output prefix ${names.outputPrefix}`, path);
  if (prefixHolder !== undefined) {
    found.push(
      `outputPrefix: "${names.outputPrefix}" is already the output prefix of ${prefixHolder} in stack ${stack.stackName}: give each pipeline its own pipelineName or outputPrefix`,
    );
  }
  const root = scope.node.root;
  for (const [prop, name] of [
    ['pipelineName', `pipeline ${names.pipelineName}`],
    ['exportRoleName', `role ${names.exportRoleName}`],
    ['connectionCheckRoleName', `role ${names.connectionCheckRoleName}`],
  ] as const) {
    const holder = claim(root, name, path);
    if (holder !== undefined) {
      found.push(
        `${prop}: ${name} is already ${holder}'s: two pipelines of an account and region need their own names (set pipelineName, or ${prop})`,
      );
    }
  }
  return found;
}

/**
 * The destination config the props describe, validated; undefined (with issues added) when invalid.
 * When the stack's region is known at synth, every ARN and destination region must be of its
 * partition (a pipeline in `aws` cannot use a role, key or stream of `aws-cn`).
 */
function validated(
  scope: Construct,
  props: KinesisDestinationProps,
  destinations: readonly DestinationDocument[],
  issues: string[],
): DestinationConfig | undefined {
  const throughput = {
    ...(props.peakWritesPerSecond === undefined ? {} : { peakWritesPerSecond: props.peakWritesPerSecond }),
    ...(props.documentBytes === undefined ? {} : { documentBytes: props.documentBytes }),
  };
  const partition = literalPartition(destinations);
  const document = {
    destinations: destinations.map((d) => validationDocument(d, partition)),
    segmentCatalog: props.segmentCatalog,
    ...(props.alertEmails === undefined ? {} : { alerts: { emails: props.alertEmails } }),
    ...(Object.keys(throughput).length === 0 ? {} : { throughput }),
  };
  const { region } = Stack.of(scope);
  const context = Token.isUnresolved(region) ? undefined : { partition: partitionOfRegion(region) };
  try {
    return parseConfig(document, undefined, context);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    issues.push(...error.issues.map(propIssue));
    return undefined;
  }
}
