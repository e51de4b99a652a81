import { Duration } from 'aws-cdk-lib';

/**
 * How long CloudFormation waits for each of the pipeline's custom resources (the connection check,
 * the stream-name check, the backfill trigger, the dead-letter queue's redrive allow policy) before
 * it fails the operation: their `ServiceTimeout`. Without it CloudFormation waits an hour for an
 * answer that never comes (a handler that crashed before answering, a network path that hangs), and
 * the deploy or the rollback is held that long. Each custom resource answers in well under this: the
 * connection check's function has a 2-minute timeout, the `AwsCustomResource` calls (an asynchronous
 * Lambda invoke, one SetQueueAttributes) a 2-minute one, so 5 minutes leaves room for a cold start
 * and the provider framework's own hop.
 */
export const CUSTOM_RESOURCE_SERVICE_TIMEOUT = Duration.minutes(5);
