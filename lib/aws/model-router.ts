import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ArnFormat, Duration, SecretValue, Stack, Tags, Token } from 'aws-cdk-lib';
import * as bedrock from 'aws-cdk-lib/aws-bedrock';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { IRouterGuardrail } from './guardrail';
import { allowLogsToUseKey } from './log-encryption';
import { routerBundleDir } from '../common/router-bundle';
import { findModel } from '../design/catalog/models';
import { defaultNamePrefix, fitName, type NamePrefixProps } from '../design/naming';
import { refuseInvalidProps } from '../design/problems';
import { resolveRouterDeployment, type ResolvedRouterDeployment, type RouterDesign } from '../design/router';
import { placeRouter, type RouterPlacement } from '../design/router-placement';
import { serializeRouterConfig, type RouterConfig } from '../router/config';
import { BEDROCK_TENANT_PROFILES_ENV, endpointKeyEnv, endpointUrlEnv, ROUTER_ENV, secretRef } from '../router/deploy-env';
import { LEDGER_TABLE_SCHEMA, RATE_TABLE_SCHEMA } from '../router/stores/dynamodb/schema';
import { ROUTER_CONFIG_PATH, stageRouterCode } from './model-router/asset';
import { awsRouterConfig } from './model-router/config';
import { acknowledgeControlTowerFindings, acknowledgeFunctionFindings, acknowledgeKeyHashesSecret, warnAboutPlacement, warnProfilesUnused } from './model-router/findings';
import { RouterMonitoring } from './model-router/monitoring';
import { bedrockResources, inferenceProfileOf, maxRequestMs, type BedrockResource } from './model-router/rules';
import { validateModelRouterProps } from './model-router/validate';

export { ROUTER_LOG_METRICS, routerMetricsNamespace } from './model-router/monitoring';
export { INFERENCE_PROFILE_REGIONS } from './model-router/rules';

/** The Bedrock actions of the router's role: Converse and ConverseStream authorize as these two. */
export const BEDROCK_INVOKE_ACTIONS = ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'] as const;

/** The DynamoDB actions the ledger and the rate limiter use (docs/router-ledgers.md): no Scan, Query or transactions. */
export const TABLE_ACTIONS = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'] as const;

/** A GPU endpoint the router calls (a `GpuEndpoint` gives every field). */
export interface ModelRouterEndpoint {
  /** Base URL of the endpoint inside the VPC, without `/v1`: `GpuEndpoint.url`. */
  readonly url: string;
  /**
   * The model the server serves, sent as `model` in every request (vLLM refuses another name): the
   * endpoint's `server.model`, `GpuEndpoint.resolved.server.model`.
   */
  readonly model: string;
  /**
   * Secret whose whole string is the server's API key: the router sends it as `Authorization: Bearer`,
   * and the server must require it (`serverSecrets: { VLLM_API_KEY: secret }` on a `GpuEndpoint`).
   */
  readonly apiKeySecret: secretsmanager.ISecret;
  /**
   * Network access to the endpoint's load balancer: its default port is opened to the router, both
   * ways (router egress, load balancer ingress). Pass the `GpuEndpoint` itself.
   */
  readonly connections: ec2.IConnectable;
  /**
   * GPU utilization of the fleet, shown on the router's dashboard: `GpuEndpoint.metricGpuUtilization()`.
   * @default - not on the dashboard
   */
  readonly gpuUtilization?: cloudwatch.IMetric;
}

/**
 * Properties of a {@link ModelRouter}: the design's router section (`RouterDesign`: models, routes,
 * tenants, circuit breaker, deployment size, alarms) plus the AWS props. Unknown props are refused.
 *
 * The router section is the design's own, so its `endpoint` targets name GPU endpoints: each needs an
 * entry in `endpoints` (`aws.AiStack` passes its `GpuEndpoint`s). Price overrides of the design
 * (`prices.models`) are not a router field: set them on the targets (`inputPer1kUsd`,
 * `outputPer1kUsd`), as `AiStack` does.
 */
export interface ModelRouterProps extends RouterDesign, NamePrefixProps {
  /**
   * The GPU endpoints the router's `endpoint` targets name, by endpoint name (a target's `model`).
   * Needs `vpc`: the router calls them inside it.
   * @default - none: a router of managed models only
   */
  readonly endpoints?: Readonly<Record<string, ModelRouterEndpoint>>;
  /**
   * VPC to run the function in: the VPC of `endpoints` (required with them). Without endpoints the
   * function runs outside any VPC and reaches Bedrock, DynamoDB and Secrets Manager at their public
   * (TLS) endpoints.
   * @default - no VPC
   */
  readonly vpc?: ec2.IVpc;
  /**
   * Subnets of `vpc` for the function's network interfaces. They need a route to Bedrock, DynamoDB and
   * Secrets Manager: a NAT gateway, or VPC endpoints.
   * @default - the private subnets with egress of `vpc`
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * Secret holding the tenant key hashes, JSON `{ "<tenantId>": ["<sha256 hex of a key>", ...] }`. The
   * router reads it on the first request and every 60 s after, so editing it adds, rotates or revokes
   * keys without a deployment (docs/aws/model-router.md, "Operations").
   * @default - a new secret holding `{}` (no key: every request is refused until you add one)
   */
  readonly keyHashesSecret?: secretsmanager.ISecret;
  /**
   * Ledger table: string partition key `pk` and no sort key (`LEDGER_TABLE_SCHEMA`). Needs no TTL.
   * @default - a new on-demand table, encrypted with the AWS managed key `aws/dynamodb`, point-in-time
   *   recovery on, retained when the stack is deleted
   */
  readonly ledgerTable?: dynamodb.ITable;
  /**
   * Rate-limit table: string partition key `pk`, no sort key, TTL on `ttl` (`RATE_TABLE_SCHEMA`).
   * @default - a new on-demand table like the ledger's, with TTL on `ttl`
   */
  readonly rateTable?: dynamodb.ITable;
  /**
   * Customer-managed KMS key for the function's log group (request logs name tenants and routes, and
   * failed requests carry provider error messages). For a `kms.Key` of this app the construct lets
   * CloudWatch Logs of this account and region use it.
   * @default - encrypted by CloudWatch Logs with an AWS owned key
   */
  readonly logEncryptionKey?: kms.IKey;
  /**
   * Topic the two alarms notify (alarm and OK). An encrypted topic needs a customer-managed key that
   * lets `cloudwatch.amazonaws.com` use it.
   * @default - a new topic refusing publishers without TLS, encrypted with a new customer-managed key
   *   (rotated yearly) that CloudWatch of this account may use
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * One Bedrock application inference profile per tenant and Bedrock target, tagged
   * `ai-stack:tenant=<tenant>`, so Cost Explorer can attribute Bedrock spend per tenant (once the tag is
   * activated as a cost allocation tag). The function gets their ARNs in
   * `AI_STACK_BEDROCK_TENANT_PROFILES` and may invoke them; the router must call through them for the
   * attribution to happen (a warning says when the deployed bundle does not).
   * @default false - no profiles; per-tenant spend is in the router's own cost metric
   */
  readonly tenantInferenceProfiles?: boolean;
  /**
   * How many clouds deploy this design's router. Each keeps its own ledger, so every tenant's budget
   * is divided by this number in the deployed config (rounded down to the nano-dollar).
   * @default 1 (`AiStack`: AWS plus every other cloud of the design that builds the router)
   */
  readonly routerClouds?: number;
  /**
   * The guardrail the router applies to every prompt and answer (`aws.Guardrail`, which `AiStack`
   * builds from the design's `guardrails`, or a guardrail of your own behind `IRouterGuardrail`): the
   * function gets its `routerEnvironment` and `grantApply` on its role.
   * @default - no cloud guardrail: the router runs none
   */
  readonly guardrail?: IRouterGuardrail;
}

/**
 * The design's OpenAI-compatible model router on AWS: the shipped router bundle on Lambda (Node.js 22,
 * arm64) behind a function URL that streams, a DynamoDB ledger and rate-limit table shared by every
 * instance, tenant key hashes in Secrets Manager, a role that may invoke exactly the configured
 * Bedrock models, and a dashboard with error-rate and latency alarms.
 */
export class ModelRouter extends Construct {
  /** The deployment fields with their defaults applied. */
  public readonly resolved: ResolvedRouterDeployment;
  /** What of the design the AWS router serves (`placeRouter`): targets and routes left out run elsewhere. */
  public readonly placement: RouterPlacement;
  /** The config deployed in the code package (`router-config.json`). */
  public readonly config: RouterConfig;
  /** Prefix of the names this router gives. */
  public readonly namePrefix: string;
  public readonly function: lambda.Function;
  /** The function URL: invoke mode RESPONSE_STREAM, auth type NONE (the router authenticates tenants by key). */
  public readonly functionUrl: lambda.FunctionUrl;
  /** The OpenAI base URL clients use is `${url}v1` (the function URL ends in `/`). */
  public readonly url: string;
  /** The function's role. */
  public readonly role: iam.IRole;
  public readonly ledgerTable: dynamodb.ITable;
  public readonly rateTable: dynamodb.ITable;
  /** The tenant key hashes the router reads. */
  public readonly keyHashesSecret: secretsmanager.ISecret;
  public readonly logGroup: logs.ILogGroup;
  public readonly dashboard: cloudwatch.Dashboard;
  /** The error-rate alarm and the p99 latency alarm, in that order. */
  public readonly alarms: readonly cloudwatch.Alarm[];
  public readonly alarmTopic: sns.ITopic;
  /** The function's security group; absent outside a VPC. */
  public readonly securityGroup?: ec2.ISecurityGroup;
  /** Application inference profiles by tenant, then by target id; empty without `tenantInferenceProfiles`. */
  public readonly inferenceProfiles: Readonly<Record<string, Readonly<Record<string, bedrock.CfnApplicationInferenceProfile>>>>;
  private readonly monitoring: RouterMonitoring;

  constructor(scope: Construct, id: string, props: ModelRouterProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const literalRegion = Token.isUnresolved(stack.region) ? undefined : stack.region;
    refuseInvalidProps(this.node.path, (problems) => validateModelRouterProps(props, 'props', problems, literalRegion));

    this.namePrefix = props.namePrefix ?? defaultNamePrefix(stack.stackName);
    this.resolved = resolveRouterDeployment(props);
    const r = this.resolved;
    const router = routerSection(props);
    this.placement = placeRouter(router, 'aws');
    const endpoints = props.endpoints ?? {};
    const called = [...new Set(this.placement.router.models.filter((m) => m.provider === 'endpoint').map((m) => m.model))];
    this.config = awsRouterConfig(router, {
      name: this.namePrefix,
      region: literalRegion,
      endpointModels: Object.fromEntries(Object.entries(endpoints).map(([name, e]) => [name, e.model])),
      routerClouds: props.routerClouds ?? 1,
      guardrails: props.guardrail?.design,
    });

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: r.logRetentionDays as logs.RetentionDays,
      encryptionKey: props.logEncryptionKey,
    });
    if (props.logEncryptionKey) allowLogsToUseKey(props.logEncryptionKey, this.logGroup);
    this.ledgerTable = props.ledgerTable ?? createTable(this, 'LedgerTable', LEDGER_TABLE_SCHEMA);
    this.rateTable = props.rateTable ?? createTable(this, 'RateTable', RATE_TABLE_SCHEMA);
    if (props.keyHashesSecret) {
      this.keyHashesSecret = props.keyHashesSecret;
    } else {
      this.keyHashesSecret = new secretsmanager.Secret(this, 'KeyHashes', {
        description: `Router ${this.namePrefix}: SHA-256 hashes of the tenant keys, {"<tenant>": ["<hex>", ...]}`,
        // Not a secret value: the empty map. CloudFormation writes it once; edits are the operator's.
        secretStringValue: SecretValue.unsafePlainText('{}'),
      });
      acknowledgeKeyHashesSecret(this.keyHashesSecret);
    }

    const inVpc = props.vpc !== undefined;
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Model router ${this.namePrefix}: its log group, ledger and rate tables, key secrets and the configured Bedrock models`,
      managedPolicies: inVpc ? [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaVPCAccessExecutionRole')] : [],
    });
    this.role = role;
    this.logGroup.grantWrite(role);
    for (const table of [this.ledgerTable, this.rateTable]) {
      table.grant(role, ...TABLE_ACTIONS);
      table.encryptionKey?.grantEncryptDecrypt(role);
    }
    const secrets = [this.keyHashesSecret, ...called.map((name) => endpoints[name].apiKeySecret)];
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [...new Set(secrets.map(secretArnPattern))] }));
    for (const s of secrets) s.encryptionKey?.grantDecrypt(new kms.ViaServicePrincipal(`secretsmanager.${stack.region}.amazonaws.com`, role));

    // Bedrock: exactly the models of the targets the AWS router serves, and the tenants' profiles.
    const bedrockArns = bedrockResources(this.placement.router.models, literalRegion).map((b) => bedrockArn(stack, b));
    const profiles = props.tenantInferenceProfiles ? this.createProfiles(this.placement, literalRegion) : {};
    this.inferenceProfiles = profiles;
    const profileArns = Object.values(profiles).flatMap((byTarget) => Object.values(byTarget).map((p) => p.attrInferenceProfileArn));
    if (bedrockArns.length + profileArns.length > 0) {
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...BEDROCK_INVOKE_ACTIONS], resources: [...bedrockArns, ...profileArns] }));
    }

    if (props.vpc) {
      const sg = new ec2.SecurityGroup(this, 'SecurityGroup', {
        vpc: props.vpc,
        description: `Model router ${this.namePrefix}: HTTPS to AWS APIs, the listener port of each GPU endpoint it calls`,
        allowAllOutbound: false,
      });
      sg.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS: Bedrock, DynamoDB, Secrets Manager');
      this.securityGroup = sg;
    }

    const environment: Record<string, string> = {
      [ROUTER_ENV.config]: ROUTER_CONFIG_PATH,
      [ROUTER_ENV.store]: 'dynamodb',
      [ROUTER_ENV.ledgerTable]: this.ledgerTable.tableName,
      [ROUTER_ENV.rateTable]: this.rateTable.tableName,
      [ROUTER_ENV.keyHashes]: secretRef('aws-sm', this.keyHashesSecret.secretArn),
      [ROUTER_ENV.maxRequestMs]: String(maxRequestMs(props)),
    };
    for (const name of called) {
      environment[endpointUrlEnv(name)] = endpoints[name].url;
      environment[endpointKeyEnv(name)] = secretRef('aws-sm', endpoints[name].apiKeySecret.secretArn);
    }
    if (props.guardrail) {
      Object.assign(environment, props.guardrail.routerEnvironment);
      props.guardrail.grantApply(role);
    }
    if (props.tenantInferenceProfiles) {
      const map = Object.fromEntries(Object.entries(profiles).map(([tenant, byTarget]) => [tenant, Object.fromEntries(Object.entries(byTarget).map(([t, p]) => [t, p.attrInferenceProfileArn]))]));
      environment[BEDROCK_TENANT_PROFILES_ENV] = stack.toJsonString(map);
      if (!readFileSync(join(routerBundleDir('aws'), 'index.js'), 'utf8').includes(BEDROCK_TENANT_PROFILES_ENV)) warnProfilesUnused(this, BEDROCK_TENANT_PROFILES_ENV);
    }

    this.function = new lambda.Function(this, 'Function', {
      description: `Model router ${this.namePrefix} (ai-stack-constructs): OpenAI-compatible, serving ${this.placement.router.routes.length} of the design's routes`,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      code: lambda.Code.fromAsset(stageRouterCode(serializeRouterConfig(this.config))),
      handler: 'index.handler',
      memorySize: r.memoryMiB,
      timeout: Duration.seconds(r.timeoutSeconds),
      reservedConcurrentExecutions: r.maxConcurrentRequests,
      environment,
      role,
      logGroup: this.logGroup,
      ...(props.vpc
        ? { vpc: props.vpc, vpcSubnets: props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }, securityGroups: [this.securityGroup!] }
        : {}),
    });
    // The role's policy must be in place before the function first runs (and, in a VPC, before Lambda
    // creates its network interfaces).
    this.function.node.addDependency(role);
    Tags.of(this.function).add('Name', `${this.namePrefix}-model-router`);
    for (const name of called) endpoints[name].connections.connections.allowDefaultPortFrom(this.function, `model router ${this.namePrefix}`);

    // Public, authenticated by tenant keys: OpenAI clients send a bearer key and cannot SigV4-sign.
    this.functionUrl = this.function.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE, invokeMode: lambda.InvokeMode.RESPONSE_STREAM });
    this.url = this.functionUrl.url;

    this.monitoring = new RouterMonitoring(this, 'Monitoring', {
      namePrefix: this.namePrefix,
      function: this.function,
      logGroup: this.logGroup,
      deployment: r,
      gpuUtilization: Object.fromEntries(called.filter((n) => endpoints[n].gpuUtilization).map((n) => [n, endpoints[n].gpuUtilization!])),
      alarmTopic: props.alarmTopic,
    });
    this.dashboard = this.monitoring.dashboard;
    this.alarms = [this.monitoring.errorRateAlarm, this.monitoring.latencyAlarm];
    this.alarmTopic = this.monitoring.alarmTopic;

    warnAboutPlacement(this, this.placement, this.config.tenants.length);
    acknowledgeFunctionFindings(this.function, role, inVpc);
    acknowledgeControlTowerFindings(this.function, this.functionUrl, this.logGroup, r.logRetentionDays, props.logEncryptionKey !== undefined);
  }

  /** Requests the function URL received per minute (Sum of `UrlRequestCount`; every path, `/healthz` included). */
  public metricRequests(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.monitoring.metricRequests(props);
  }

  /** Requests answered with a 5xx per minute (Sum of `Url5xxCount`): the router's own 5xx, function errors and timeouts. */
  public metricErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.monitoring.metricErrors(props);
  }

  /**
   * Latency of unstreamed chat requests in ms, as the router logs it, e.g. `metricLatency('p99')`
   * (streams log their whole length, so they are left out).
   */
  public metricLatency(statistic: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.monitoring.metricLatency(statistic, props);
  }

  /** One profile per tenant and Bedrock target, copying the target's model in the stack's region. */
  private createProfiles(placement: RouterPlacement, region: string | undefined): Record<string, Record<string, bedrock.CfnApplicationInferenceProfile>> {
    const stack = Stack.of(this);
    const out: Record<string, Record<string, bedrock.CfnApplicationInferenceProfile>> = {};
    const targets = placement.router.models.filter((m) => m.provider === 'bedrock' && findModel(m.model));
    for (const tenant of placement.router.tenants ?? []) {
      out[tenant.id] = {};
      for (const t of targets) {
        const modelId = findModel(t.model)!.providerModelId;
        const source: BedrockResource = { kind: inferenceProfileOf(modelId) ? 'inference-profile' : 'foundation-model', region, id: modelId };
        const profile = new bedrock.CfnApplicationInferenceProfile(this, `Profile-${tenant.id}-${t.id}`, {
          inferenceProfileName: fitName([this.namePrefix, tenant.id, t.id], 64).replace(/[^0-9a-zA-Z_-]/g, '-').replace(/[-_]{2,}/g, '-'),
          description: `Bedrock calls of tenant ${tenant.id} to target ${t.id} of router ${this.namePrefix}`,
          modelSource: { copyFrom: bedrockArn(stack, source) },
          tags: [
            { key: 'ai-stack:tenant', value: tenant.id },
            { key: 'ai-stack:target', value: t.id },
          ],
        });
        out[tenant.id][t.id] = profile;
      }
    }
    return out;
  }
}

/** The router design's own fields of the props (not the construct's). */
function routerSection(props: ModelRouterProps): RouterDesign {
  const { models, routes, tenants, circuitBreaker, traffic, deployment, alarms } = props;
  return Object.fromEntries(Object.entries({ models, routes, tenants, circuitBreaker, traffic, deployment, alarms }).filter(([, v]) => v !== undefined)) as unknown as RouterDesign;
}

/** On-demand, AWS managed key, point-in-time recovery, the store's key schema and TTL attribute. */
function createTable(scope: Construct, id: string, schema: typeof LEDGER_TABLE_SCHEMA | typeof RATE_TABLE_SCHEMA): dynamodb.Table {
  return new dynamodb.Table(scope, id, {
    partitionKey: { name: schema.partitionKey.name, type: dynamodb.AttributeType.STRING },
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    encryption: dynamodb.TableEncryption.AWS_MANAGED,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    ...(schema.ttlAttribute ? { timeToLiveAttribute: schema.ttlAttribute } : {}),
  });
}

/** The ARN GetSecretValue is granted on: the full ARN, or a name-only ARN and Secrets Manager's six-character suffix. */
function secretArnPattern(secret: secretsmanager.ISecret): string {
  return secret.secretFullArn ?? `${secret.secretArn}-??????`;
}

function bedrockArn(stack: Stack, b: BedrockResource): string {
  return stack.formatArn({
    service: 'bedrock',
    region: b.region ?? stack.region,
    account: b.kind === 'foundation-model' ? '' : stack.account,
    resource: b.kind,
    resourceName: b.id,
    arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
  });
}

