/**
 * The deploy-time checks: CloudFormation custom resources behind the CDK Provider framework — the
 * connection check of the imported destination streams (the stream with the exporter's credentials
 * and what its description reveals, then the export role's simulated permissions) and the name check of the streams the stack
 * creates. Wiring only; the work is `runConnectionCheck`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { IAMClient } from '@aws-sdk/client-iam';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { STSClient } from '@aws-sdk/client-sts';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { createObservability, instrumentHandler } from '../commons/observability.js';
import {
  type ConnectionCheckResponse,
  type DeployCheckDeps,
  runConnectionCheck,
} from './check-destinations.js';

// No variables to read (see ./environment.ts): the destinations come in the resource's properties.
const observability = createObservability();
const deps: Omit<DeployCheckDeps, 'logger'> = {
  sts: new STSClient({}),
  secrets: new SecretsManagerClient({}),
  iam: new IAMClient({}),
  cloudFormation: new CloudFormationClient({}),
  kinesisFor: (region, credentials) =>
    new KinesisClient({ region, ...(credentials === undefined ? {} : { credentials }) }),
  kmsFor: (region, credentials) =>
    new KMSClient({ region, ...(credentials === undefined ? {} : { credentials }) }),
  sleep: (ms) => sleep(ms),
};

/** Provider-framework onEvent handler. */
export const handler = instrumentHandler(
  async (event: CloudFormationCustomResourceEvent, context: Context): Promise<ConnectionCheckResponse> =>
    runConnectionCheck(event, context, { ...deps, logger: observability.logger }),
  observability,
  { metrics: false },
);
