/**
 * The deploy-time connection check: a CloudFormation custom resource behind the CDK Provider
 * framework, run with the exporter's credentials on every imported destination stream. Wiring
 * only; the work is `runConnectionCheck`.
 */
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { STSClient } from '@aws-sdk/client-sts';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { createObservability, instrumentHandler } from '../commons/observability.js';
import {
  type ConnectionCheckDeps,
  type ConnectionCheckResponse,
  runConnectionCheck,
} from './check-destinations.js';

/** @deprecated import it from `./check-destinations.js` (kept until test/infra moves its import). */

// No variables to read (see ./environment.ts): the destinations come in the resource's properties.
const observability = createObservability();
const deps: ConnectionCheckDeps = {
  sts: new STSClient({}),
  secrets: new SecretsManagerClient({}),
  kinesisFor: (region, credentials) =>
    new KinesisClient({ region, ...(credentials === undefined ? {} : { credentials }) }),
};

/** Provider-framework onEvent handler. */
export const handler = instrumentHandler(
  async (event: CloudFormationCustomResourceEvent, context: Context): Promise<ConnectionCheckResponse> =>
    runConnectionCheck(event, context, { ...deps, logger: observability.logger }),
  observability,
  { metrics: false },
);
