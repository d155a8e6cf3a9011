// The budget's two SNS topics and who may publish to them: the notification topic (people: budget
// thresholds, anomalies, alarms, the stop function's notices) and the hard-stop topic (the stop
// function alone: the hard-stop budget notification and the router-spend alarm).
import { Arn, ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

/** The AWS services that publish to the budget's topics. */
export const PUBLISHERS = {
  budgets: 'budgets.amazonaws.com',
  costAnomalyDetection: 'costalerts.amazonaws.com',
  cloudWatch: 'cloudwatch.amazonaws.com',
} as const;

export interface BudgetTopicsOptions {
  readonly namePrefix: string;
  /** A topic of the user's for the notifications; none: a new one. */
  readonly alarmTopic?: sns.ITopic;
  /** Subscribed to a new notification topic (each confirms by email). */
  readonly emails: readonly string[];
  readonly hardStop: boolean;
  readonly anomalyDetection: boolean;
}

export class BudgetTopics extends Construct {
  public readonly notificationTopic: sns.ITopic;
  public readonly hardStopTopic?: sns.Topic;
  /** Encrypts the topics this construct creates; absent when it creates none. */
  public readonly key?: kms.Key;
  /**
   * Services the given `alarmTopic` (or its key) could not be opened to, because it is imported (its
   * policy is its owner's): the construct warns with them.
   */
  public readonly unopened: readonly string[];

  constructor(scope: Construct, id: string, o: BudgetTopicsOptions) {
    super(scope, id);
    const stack = Stack.of(this);
    const notifiers: string[] = [PUBLISHERS.budgets, PUBLISHERS.cloudWatch, ...(o.anomalyDetection ? [PUBLISHERS.costAnomalyDetection] : [])];
    if (!o.alarmTopic || o.hardStop) this.key = this.createKey(o.namePrefix, o.anomalyDetection);

    if (o.alarmTopic) {
      this.notificationTopic = o.alarmTopic;
    } else {
      const topic = new sns.Topic(this, 'NotificationTopic', { displayName: `Budget ${o.namePrefix}`, masterKey: this.key, enforceSSL: true });
      for (const email of o.emails) topic.addSubscription(new subscriptions.EmailSubscription(email));
      this.notificationTopic = topic;
    }
    const unopened = notifiers.filter((service) => !allowPublisher(stack, this.notificationTopic, service));
    if (o.alarmTopic?.masterKey) {
      for (const service of notifiers) {
        if (!o.alarmTopic.masterKey.addToResourcePolicy(keyUseStatement(stack, service)).statementAdded && !unopened.includes(service)) unopened.push(service);
      }
    }
    this.unopened = unopened;

    if (o.hardStop) {
      // Its one subscriber is the stop function: anything published here stops the spend.
      this.hardStopTopic = new sns.Topic(this, 'HardStopTopic', { displayName: `Budget ${o.namePrefix} hard stop`, masterKey: this.key, enforceSSL: true });
      for (const service of [PUBLISHERS.budgets, PUBLISHERS.cloudWatch]) allowPublisher(stack, this.hardStopTopic, service);
    }
  }

  /**
   * AWS services publish to an encrypted topic only with a customer managed key whose policy lets
   * them use it (the AWS managed `alias/aws/sns` key cannot): one key for both topics, rotated yearly.
   */
  private createKey(namePrefix: string, anomalyDetection: boolean): kms.Key {
    const stack = Stack.of(this);
    const key = new kms.Key(this, 'TopicKey', {
      description: `Budget ${namePrefix}: encrypts its notification and hard-stop topics; AWS Budgets, CloudWatch alarms${anomalyDetection ? ' and Cost Anomaly Detection' : ''} may use it`,
      enableKeyRotation: true,
    });
    for (const service of [PUBLISHERS.cloudWatch, PUBLISHERS.budgets, ...(anomalyDetection ? [PUBLISHERS.costAnomalyDetection] : [])]) key.addToResourcePolicy(keyUseStatement(stack, service));
    // Grants only for AWS resources or to AWS services (Control Tower CT.KMS.PR.3), as the router's alarm key.
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['kms:CreateGrant'],
        resources: ['*'],
        conditions: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
      }),
    );
    return key;
  }
}

/**
 * The key statement of a publishing service. CloudWatch's is limited to this account, as the
 * router's alarm key is. Budgets and Cost Anomaly Detection are documented with topic-policy
 * conditions only: whether their calls to KMS carry `aws:SourceAccount` is not, and a condition they
 * do not meet would drop every notification silently. The topic policy (below) already admits
 * them only for this account's budgets and subscriptions.
 */
function keyUseStatement(stack: Stack, service: string): iam.PolicyStatement {
  return new iam.PolicyStatement({
    principals: [new iam.ServicePrincipal(service)],
    actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
    resources: ['*'],
    ...(service === PUBLISHERS.cloudWatch ? { conditions: { StringEquals: { 'aws:SourceAccount': stack.account } } } : {}),
  });
}

/**
 * Lets `service` publish to `topic` on behalf of this account only (the conditions each service
 * documents: "Creating an Amazon SNS topic for budget notifications" and "… for anomaly
 * notifications" in the AWS Cost Management User Guide; for Budgets, `aws:SourceArn` must be
 * `arn:aws:budgets::<account>:budget/*`). False when the topic is imported and keeps its own policy.
 */
function allowPublisher(stack: Stack, topic: sns.ITopic, service: string): boolean {
  const conditions: Record<string, Record<string, string>> = { StringEquals: { 'aws:SourceAccount': stack.account } };
  if (service === PUBLISHERS.budgets) {
    conditions.ArnLike = { 'aws:SourceArn': Arn.format({ service: 'budgets', region: '', resource: 'budget', resourceName: '*', arnFormat: ArnFormat.SLASH_RESOURCE_NAME }, stack) };
  } else if (service === PUBLISHERS.cloudWatch) {
    conditions.ArnLike = { 'aws:SourceArn': Arn.format({ service: 'cloudwatch', resource: 'alarm', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }, stack) };
  }
  return topic.addToResourcePolicy(
    new iam.PolicyStatement({ principals: [new iam.ServicePrincipal(service)], actions: ['sns:Publish'], resources: [topic.topicArn], conditions }),
  ).statementAdded;
}
