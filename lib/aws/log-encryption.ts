import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';

/**
 * Lets CloudWatch Logs encrypt `logGroup` with a customer key (`logEncryptionKey` of the endpoint and
 * router constructs): Logs uses a customer key only when the key policy lets the regional Logs service
 * use it. The statement is scoped by the encryption context to log groups of this account and region;
 * naming this log group's ARN would make the key and the log group depend on each other.
 */
export function allowLogsToUseKey(key: kms.IKey, logGroup: logs.ILogGroup): void {
  const stack = Stack.of(logGroup);
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      conditions: {
        ArnLike: { 'kms:EncryptionContext:aws:logs:arn': stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
      },
    }),
  );
}
