import { Lazy } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { IConstruct } from 'constructs';
import { acknowledgeOperatorPolicy } from './nag.js';

/**
 * Who may put documents into the export queue — whatever reaches it is written to partner streams.
 * The queue's policy denies `sqs:SendMessage` (which `SendMessageBatch` is authorized as) to every
 * principal whose `aws:PrincipalArn` is not one of the senders: the pipeline's own roles (decide,
 * backfill, export) and the operators' roles (`dlq redrive`: SQS's message move task sends to its
 * destination queue as the principal that started it). Without it, any principal of the account
 * with an identity policy allowing `sqs:SendMessage` could inject exports.
 *
 * What it leaves working: the export mapping only receives and deletes (not sends); SQS's own move of
 * a message to the dead-letter queue after `maxReceiveCount` is not a send to this queue. An
 * assumed-role session's `aws:PrincipalArn` is its role's ARN, so the functions' sessions match.
 * `aws:PrincipalArn` is absent for a service principal, and `ArnNotEquals` on an absent key is true:
 * no service may send either — none needs to.
 */
export class ExportQueueSenders {
  private readonly arns: string[] = [];

  constructor(queue: sqs.IQueue, pipelineRoles: readonly iam.IRole[]) {
    for (const role of pipelineRoles) this.allow(role.roleArn);
    queue.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenySendersOutsideThePipeline',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['sqs:SendMessage'],
        resources: [queue.queueArn],
        conditions: {
          ArnNotEquals: { 'aws:PrincipalArn': Lazy.list({ produce: () => [...this.arns] }) },
        },
      }),
    );
  }

  /** Lets the principal with this ARN (a role's or a user's) send to the queue. */
  allow(principalArn: string): void {
    if (!this.arns.includes(principalArn)) this.arns.push(principalArn);
  }
}

/** What an operator's redrive touches. */
export interface RedriveResources {
  readonly deadLetterQueue: sqs.IQueue;
  readonly exportQueue: sqs.IQueue;
  readonly stateTable: dynamodb.ITable;
  readonly key: kms.IKey;
  readonly stackId: string;
}

/**
 * The rights of `dlq list` and `dlq redrive` (cli/dlq/): read the dead-letter queue and move its
 * messages (message move tasks, and the selective move of `--destination`, which holds messages
 * with ChangeMessageVisibility), send to the export queue and read its redrive policy, read the
 * state table's failure records, use the pipeline key both ways, read the stack's outputs. Exact
 * resources; the sender exemption of the queue policy is {@link ExportQueueSenders.allow}'s.
 */
export function grantRedriveRights(grantee: iam.IGrantable, r: RedriveResources): iam.Grant {
  // A policy the grant creates under an imported role is the construct's: its finding is acknowledged.
  const holder = 'node' in grantee ? (grantee as unknown as IConstruct) : undefined;
  const imported = holder !== undefined && !(holder instanceof iam.Role) && !(holder instanceof iam.User);
  const before = new Set(holder?.node.children ?? []);
  const grant = (actions: string[], resourceArns: string[]) =>
    iam.Grant.addToPrincipal({ grantee, actions, resourceArns });
  const granted = grant(
    [
      'sqs:ReceiveMessage',
      'sqs:DeleteMessage',
      'sqs:ChangeMessageVisibility',
      'sqs:GetQueueAttributes',
      'sqs:StartMessageMoveTask',
      'sqs:ListMessageMoveTasks',
      'sqs:CancelMessageMoveTask',
    ],
    [r.deadLetterQueue.queueArn],
  )
    .combine(grant(['sqs:SendMessage', 'sqs:GetQueueAttributes'], [r.exportQueue.queueArn]))
    .combine(grant(['dynamodb:GetItem', 'dynamodb:BatchGetItem'], [r.stateTable.tableArn]))
    .combine(grant(['kms:Decrypt', 'kms:GenerateDataKey'], [r.key.keyArn]))
    .combine(grant(['cloudformation:DescribeStacks'], [r.stackId]));
  for (const child of holder?.node.children ?? []) {
    if (imported && !before.has(child) && child instanceof iam.Policy) acknowledgeOperatorPolicy(child);
  }
  return granted;
}
