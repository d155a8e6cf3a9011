// What a ModelRouter tells its user at synth: acknowledgeable warnings about the design, and the
// cdk-nag findings inherent to it, acknowledged on the exact resource with their reasons.
import { Annotations } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { IConstruct } from 'constructs';
import type { RouterPlacement } from '../../design/router-placement';
import { acknowledge, acknowledgeLogGroupFindings, cfnGuardRule } from '../gpu-endpoint/findings';

/** Warnings (id `ai-stack:router-…`) about what the AWS router serves of the design. */
export function warnAboutPlacement(scope: IConstruct, placement: RouterPlacement, tenants: number): void {
  const { targetsElsewhere, routesElsewhere } = placement;
  if (targetsElsewhere.length > 0) {
    Annotations.of(scope).addWarningV2(
      'ai-stack:router-targets-elsewhere',
      `targets ${targetsElsewhere.join(', ')} run on another cloud's provider and are left out of the AWS router` +
        (routesElsewhere.length > 0 ? `; so are routes ${routesElsewhere.join(', ')}, which have no target on AWS` : '') +
        '. The router of that cloud serves them (docs/design.md, "Where the router runs").',
    );
  }
  if (placement.router.routes.length === 0) {
    Annotations.of(scope).addWarningV2(
      'ai-stack:router-no-routes',
      'no route of the design has a target on AWS (a Bedrock model or a GPU endpoint), so this router serves none: every chat request is answered 404 model_not_found. Add an AWS target to a route, or leave the router out of the AWS stack.',
    );
  }
  if (tenants === 0) {
    Annotations.of(scope).addWarningV2(
      'ai-stack:router-no-tenants',
      'the router has no tenants, so it refuses every request (a key belongs to a tenant); add router.tenants.',
    );
  }
}

/** Said when `tenantInferenceProfiles` is on but the deployed bundle does not read the profile map. */
export function warnProfilesUnused(scope: IConstruct, variable: string): void {
  Annotations.of(scope).addWarningV2(
    'ai-stack:router-tenant-profiles-unused',
    `tenantInferenceProfiles creates an application inference profile per tenant and Bedrock target, but the router bundle deployed here does not read ${variable}: it calls the models directly, so Cost Explorer attributes no Bedrock spend to the profiles yet. Upgrade ai-stack-constructs, or leave tenantInferenceProfiles off.`,
  );
}

/** The findings of the function and its role. */
export function acknowledgeFunctionFindings(fn: lambda.IFunction, role: iam.IRole, inVpc: boolean): void {
  acknowledge(fn, {
    id: 'AwsSolutions-L1',
    reason:
      'The router bundle (dist/router/aws) is built for and tested on the Node.js 22 runtime, whose bundled AWS SDK v3 it relies on (it does not ship its own); Node.js 22 is a supported Lambda runtime. A newer runtime is adopted with a release of the bundle.',
  });
  if (inVpc) {
    acknowledge(role, {
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
      reason:
        'The AWS managed policy is the documented minimum for a function in a VPC (creating and deleting its network interfaces, which EC2 supports on no narrower resource); it is attached only because the router reaches the GPU endpoints over the VPC.',
    });
  }
}

/** The key-hash secret: tenant key hashes the operator edits, which no rotation function could produce. */
export function acknowledgeKeyHashesSecret(secret: secretsmanager.ISecret): void {
  acknowledge(secret, {
    id: 'AwsSolutions-SMG4',
    reason:
      'The secret holds SHA-256 hashes of tenant keys that the operator adds, rotates and revokes by editing it (the router re-reads it every 60 s); a Secrets Manager rotation function cannot produce the tenants\' keys.',
  });
}

/** A GPU endpoint's API key: read by the replicas at boot and by the router. */
export function acknowledgeEndpointKeySecret(secret: secretsmanager.ISecret): void {
  acknowledge(secret, {
    id: 'AwsSolutions-SMG4',
    reason:
      'The model server reads its API key once, at boot; an automatic rotation would lock the router out of running replicas until they are replaced. Rotate by putting a new value and starting an instance refresh of the endpoint (docs/aws/model-router.md).',
  });
}

/** The Control Tower (cfn-guard) findings of the public function URL and the router's log group. */
export function acknowledgeControlTowerFindings(fn: lambda.Function, url: lambda.FunctionUrl, logGroup: IConstruct, logRetentionDays: number, logEncrypted: boolean): void {
  acknowledge(url, {
    id: cfnGuardRule('lambda_function_url_auth_check'),
    reason:
      'OpenAI clients send a bearer key and cannot SigV4-sign requests, so the URL uses auth type NONE; the router authenticates every request by tenant key (SHA-256 hashes in Secrets Manager) before any paid call and refuses unknown keys.',
  });
  // The permissions the function URL adds: lambda:InvokeFunctionUrl and lambda:InvokeFunction for
  // principal *, the latter only through the URL (condition lambda:InvokedViaFunctionUrl).
  const permissions = fn.node.children.filter((c) => c.node.id.startsWith('invoke-function'));
  for (const permission of permissions.length > 0 ? permissions : [fn]) {
    acknowledge(permission, {
      id: cfnGuardRule('lambda_function_public_access_prohibited_check'),
      reason:
        'This permission lets anyone invoke the router through its function URL only (auth type NONE), as OpenAI clients require; the router authenticates every request by tenant key before any paid call.',
    });
  }
  acknowledgeLogGroupFindings(logGroup, logRetentionDays, logEncrypted, "The router's request logs (tenants, routes, costs)");
}
