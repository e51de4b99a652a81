/**
 * Walks every alarm action of a synthesized template to what CloudWatch needs to deliver it: the
 * action is a topic of the template; the topic's policy (if any: without one, SNS's default policy
 * lets same-account alarms publish) allows `cloudwatch.amazonaws.com` `sns:Publish` on it, with no
 * condition beyond this account and its alarms, and no Deny stops a TLS publish; the topic's key (if
 * any) is a key of the template whose policy lets `cloudwatch.amazonaws.com` `kms:Decrypt` and
 * `kms:GenerateDataKey`. Generic: it reads the template, not the construct, so a new alarm, a new
 * action or another topic is walked without a change here.
 */

type Json = Record<string, unknown>;
type Resources = Record<string, { Type: string; Properties?: Json }>;
type Statement = {
  Effect?: string;
  Principal?: unknown;
  Action?: unknown;
  Resource?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
};

const CLOUDWATCH = 'cloudwatch.amazonaws.com';

const list = (value: unknown): unknown[] => (value === undefined ? [] : ([] as unknown[]).concat(value));

/** `{ Ref: id }` or `{ 'Fn::GetAtt': [id, …] }` → id. */
function referenced(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Json;
  if (typeof v.Ref === 'string') return v.Ref;
  const getAtt = v['Fn::GetAtt'];
  return Array.isArray(getAtt) && typeof getAtt[0] === 'string' ? getAtt[0] : undefined;
}

function namesCloudWatch(principal: unknown): boolean {
  if (typeof principal !== 'object' || principal === null) return false;
  return list((principal as Json).Service).includes(CLOUDWATCH);
}

/** Whether `action` (IAM wildcards allowed) covers `wanted`, case-insensitively. */
function covers(action: unknown, wanted: string): boolean {
  if (typeof action !== 'string') return false;
  const pattern = new RegExp(`^${action.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i');
  return pattern.test(wanted);
}

const allows = (s: Statement, action: string) => list(s.Action).some((a) => covers(a, action));

/** The TLS-only deny: it applies only to requests without TLS, which CloudWatch never sends. */
function isTlsOnlyDeny(s: Statement): boolean {
  const keys = Object.entries(s.Condition ?? {}).flatMap(([op, block]) =>
    Object.entries(block).map(([key, value]) => `${op}:${key}=${String(value)}`),
  );
  return keys.length === 1 && keys[0] === 'Bool:aws:SecureTransport=false';
}

/**
 * The conditions CloudWatch's publishes meet: this account (`aws:SourceAccount`, the template's
 * account) and an alarm ARN of this account (`aws:SourceArn` / `aws:SourceOwner`).
 */
function conditionsMet(s: Statement): string | undefined {
  for (const [op, block] of Object.entries(s.Condition ?? {})) {
    for (const [key, value] of Object.entries(block)) {
      const text = JSON.stringify(value);
      if (/^aws:Source(Account|Owner)$/i.test(key) && /"Ref":"AWS::AccountId"/.test(text)) continue;
      if (
        /^aws:SourceArn$/i.test(key) &&
        /^Arn(Like|Equals)$/.test(op) &&
        /:cloudwatch:.*:alarm:/.test(text)
      ) {
        continue;
      }
      return `condition ${op} ${key} ${text} is not one CloudWatch's publishes meet`;
    }
  }
  return undefined;
}

function statementsOfTopicPolicies(resources: Resources, topicId: string): Statement[] | undefined {
  const policies = Object.values(resources).filter(
    (r) =>
      r.Type === 'AWS::SNS::TopicPolicy' && list(r.Properties?.Topics).some((t) => referenced(t) === topicId),
  );
  if (policies.length === 0) return undefined;
  return policies.flatMap(
    (p) => list((p.Properties?.PolicyDocument as Json | undefined)?.Statement) as Statement[],
  );
}

function topicProblems(resources: Resources, topicId: string): string[] {
  const problems: string[] = [];
  const statements = statementsOfTopicPolicies(resources, topicId);
  if (statements !== undefined) {
    const applies = (s: Statement) =>
      allows(s, 'sns:Publish') &&
      (s.Principal === '*' ||
        namesCloudWatch(s.Principal) ||
        list((s.Principal as Json | undefined)?.AWS).includes('*')) &&
      list(s.Resource).some((r) => r === '*' || referenced(r) === topicId);
    const allowing = statements.filter(
      (s) => s.Effect === 'Allow' && namesCloudWatch(s.Principal) && applies(s),
    );
    if (allowing.length === 0) {
      problems.push(
        `topic ${topicId}'s policy does not allow ${CLOUDWATCH} sns:Publish (a topic policy replaces SNS's default one)`,
      );
    }
    for (const s of allowing) {
      const unmet = conditionsMet(s);
      if (unmet !== undefined) problems.push(`topic ${topicId}'s policy: ${unmet}`);
    }
    for (const s of statements.filter((x) => x.Effect === 'Deny' && applies(x) && !isTlsOnlyDeny(x))) {
      problems.push(`topic ${topicId}'s policy denies sns:Publish: ${JSON.stringify(s)}`);
    }
  }
  const keyRef = resources[topicId]?.Properties?.KmsMasterKeyId;
  if (keyRef === undefined) return problems;
  const keyId = referenced(keyRef);
  const key = keyId === undefined ? undefined : resources[keyId];
  if (key?.Type !== 'AWS::KMS::Key') {
    problems.push(
      `topic ${topicId} is encrypted with ${JSON.stringify(keyRef)}, not a key of this template: CloudWatch cannot use an AWS managed key, and an imported key's policy cannot be checked here`,
    );
    return problems;
  }
  const keyStatements = list((key.Properties?.KeyPolicy as Json | undefined)?.Statement) as Statement[];
  for (const action of ['kms:Decrypt', 'kms:GenerateDataKey']) {
    const granting = keyStatements.filter(
      (s) =>
        s.Effect === 'Allow' &&
        namesCloudWatch(s.Principal) &&
        allows(s, action) &&
        conditionsMet(s) === undefined,
    );
    if (granting.length === 0)
      problems.push(`key ${keyId} of topic ${topicId} does not let ${CLOUDWATCH} ${action}`);
  }
  return problems;
}

/**
 * Every reason a CloudWatch alarm of the template could not notify through one of its actions, as
 * `<alarm>: <action kind>: <problem>`; empty when every action can be delivered.
 */
export function alarmDeliveryProblems(template: { Resources?: Resources }): string[] {
  const resources = template.Resources ?? {};
  const problems: string[] = [];
  for (const [alarmId, alarm] of Object.entries(resources)) {
    if (alarm.Type !== 'AWS::CloudWatch::Alarm') continue;
    for (const kind of ['AlarmActions', 'OKActions', 'InsufficientDataActions']) {
      for (const action of list(alarm.Properties?.[kind])) {
        const topicId = referenced(action);
        if (topicId === undefined || resources[topicId]?.Type !== 'AWS::SNS::Topic') {
          problems.push(`${alarmId}: ${kind}: ${JSON.stringify(action)} is not a topic of this template`);
          continue;
        }
        for (const p of topicProblems(resources, topicId)) problems.push(`${alarmId}: ${kind}: ${p}`);
      }
    }
  }
  return problems;
}

/** The number of alarm actions in the template (a walk over none proves nothing). */
export function alarmActionCount(template: { Resources?: Resources }): number {
  return Object.values(template.Resources ?? {})
    .filter((r) => r.Type === 'AWS::CloudWatch::Alarm')
    .reduce((n, r) => n + list(r.Properties?.AlarmActions).length + list(r.Properties?.OKActions).length, 0);
}
