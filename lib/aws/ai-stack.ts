import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { MODEL_SERVER_API_KEY_ENV } from '../common/model-server';
import { validateDesign, type AiStackDesign } from '../design';
import { Budget } from './budget';
import { budgetRouterOf } from './budget/router';
import { applyCostTags } from './cost-tags';
import { GpuEndpoint } from './gpu-endpoint';
import { Guardrail } from './guardrail';
import { warnNoRouter } from './guardrail/findings';
import { ModelRouter, type ModelRouterEndpoint } from './model-router';
import { VectorStore } from './vector-store';
import { createAccessLogsBucket, createDefaultVpc } from './gpu-endpoint/dependencies';
import { routerSectionOf } from './model-router/config';
import { routerCloudCount } from '../design/router-placement';
import { createEndpointKeySecret } from './model-router/endpoint-key';
import { endpointsCalledOnAws } from './model-router/rules';
import type * as s3 from 'aws-cdk-lib/aws-s3';

export interface AiStackProps extends StackProps {
  /** The cloud-neutral design this stack builds. It is validated for AWS before anything is created. */
  readonly design: AiStackDesign;
}

/**
 * The whole AI stack on AWS, built from one design: every capability the design asks for, wired
 * together, with the design's cost tags on every resource.
 */
export class AiStack extends Stack {
  public readonly design: AiStackDesign;
  /** The cost tags applied to every taggable resource. */
  public readonly costTags: Readonly<Record<string, string>>;
  /** The VPC of the GPU endpoints; absent when the design has none. */
  public readonly vpc?: ec2.IVpc;
  /** The access-log bucket of the endpoints' load balancers and the vector store's source bucket; absent when the design has neither. */
  public readonly accessLogsBucket?: s3.IBucket;
  /** The design's vector store; absent when the design has none. */
  public readonly vectorStore?: VectorStore;
  /** The design's budget on both clocks, with its hard stop; absent when the design has none. */
  public readonly budget?: Budget;
  /** The design's GPU endpoints, by endpoint name. */
  public readonly endpoints: Readonly<Record<string, GpuEndpoint>>;
  /** The design's guardrail, which the router applies; absent when the design has no `guardrails`. */
  public readonly guardrail?: Guardrail;
  /** The design's model router; absent when the design has none. */
  public readonly router?: ModelRouter;
  /** The API key of each GPU endpoint the router calls, by endpoint name: its replicas require it, the router sends it. */
  public readonly endpointKeys: Readonly<Record<string, secretsmanager.ISecret>>;

  constructor(scope: Construct, id: string, props: AiStackProps) {
    validateDesign(props.design, { clouds: ['aws'] });
    const design = props.design;
    super(scope, id, {
      ...props,
      env: { account: props.env?.account ?? design.accounts?.aws, region: props.env?.region ?? design.region.aws },
      description: props.description ?? `${design.name}: AI stack (ai-stack-constructs)`,
    });
    this.design = design;
    this.costTags = applyCostTags(this, design.tags);
    const endpointDesigns = design.endpoints ?? [];
    if (endpointDesigns.length > 0) {
      // One VPC (private subnets, one NAT gateway, flow logs) for every endpoint of the stack.
      this.vpc = createDefaultVpc(this);
    }
    if (endpointDesigns.length > 0 || design.vectorStore) {
      // One access-log bucket for the load balancers and the source bucket's server access logs.
      this.accessLogsBucket = createAccessLogsBucket(this);
    }
    // The endpoints the router calls require a key, which only the router holds.
    const called = new Set(design.router ? endpointsCalledOnAws(design.router) : []);
    const endpoints: Record<string, GpuEndpoint> = {};
    const keys: Record<string, secretsmanager.ISecret> = {};
    for (const e of endpointDesigns) {
      if (called.has(e.name)) keys[e.name] = createEndpointKeySecret(this, `Endpoint-${e.name}-ApiKey`, e.name, design.name);
      endpoints[e.name] = new GpuEndpoint(this, `Endpoint-${e.name}`, {
        ...e,
        namePrefix: design.name,
        vpc: this.vpc,
        accessLogsBucket: this.accessLogsBucket,
        ...(keys[e.name] ? { serverSecrets: { [MODEL_SERVER_API_KEY_ENV]: keys[e.name] } } : {}),
      });
      new CfnOutput(this, `Endpoint-${e.name}-Url`, { value: endpoints[e.name].url, description: `Internal URL of GPU endpoint ${e.name}` });
    }
    this.endpoints = endpoints;
    this.endpointKeys = keys;
    if (design.guardrails) {
      // Built without a router too: an application may apply it (warned, since nothing does by itself).
      this.guardrail = new Guardrail(this, 'Guardrail', { ...design.guardrails, namePrefix: design.name });
      new CfnOutput(this, 'Guardrail-Id', { value: this.guardrail.guardrailId, description: 'Bedrock guardrail the router applies (bedrock:ApplyGuardrail)' });
      new CfnOutput(this, 'Guardrail-Version', { value: this.guardrail.guardrailVersion, description: 'Published version of the guardrail the router applies' });
      if (!design.router) warnNoRouter(this.guardrail);
    }
    if (design.router) {
      const routerEndpoints: Record<string, ModelRouterEndpoint> = {};
      for (const name of called) {
        const e = endpoints[name];
        routerEndpoints[name] = { url: e.url, model: e.resolved.server.model, apiKeySecret: keys[name], connections: e, gpuUtilization: e.metricGpuUtilization() };
      }
      const inVpc = called.size > 0 && this.vpc !== undefined;
      // The ledger is written on every request: through a (free) gateway endpoint, not the NAT gateway.
      if (inVpc) this.vpc!.addGatewayEndpoint('DynamoDb', { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB });
      this.router = new ModelRouter(this, 'Router', {
        ...routerSectionOf(design),
        namePrefix: design.name,
        routerClouds: routerCloudCount(design, 'aws'),
        ...(inVpc ? { vpc: this.vpc, endpoints: routerEndpoints } : {}),
        ...(this.guardrail ? { guardrail: this.guardrail } : {}),
      });
      new CfnOutput(this, 'Router-Url', { value: this.router.url, description: 'OpenAI base URL of the model router: this URL followed by v1' });
      new CfnOutput(this, 'Router-KeyHashesSecret', {
        value: this.router.keyHashesSecret.secretArn,
        description: 'Secret holding the tenant key hashes the router accepts, {"<tenant>": ["<sha256 hex>"]}: edit it to add, rotate or revoke keys',
      });
    }
    if (design.budget) {
      this.budget = new Budget(this, 'Budget', {
        ...design.budget,
        namePrefix: design.name,
        // The most specific standard tag: team and cost centre span applications.
        costTag: { key: 'application', value: design.tags.application },
        gpuEndpoints: Object.values(this.endpoints),
        ...(this.router ? { router: budgetRouterOf(this.router) } : {}),
      });
    }
    if (design.vectorStore) {
      this.vectorStore = new VectorStore(this, 'VectorStore', {
        ...design.vectorStore,
        namePrefix: design.name,
        serverAccessLogsBucket: this.accessLogsBucket,
        // Freshness alarms go where the stack's other alarms go.
        alarmTopic: this.router?.alarmTopic ?? this.budget?.notificationTopic,
      });
      new CfnOutput(this, 'VectorStore-SourceBucket', { value: this.vectorStore.sourceBucket.bucketName, description: `Bucket of the documents of vector store ${design.vectorStore.name}` });
      new CfnOutput(this, 'VectorStore-KnowledgeBaseId', { value: this.vectorStore.knowledgeBaseId, description: `Knowledge base to retrieve from (bedrock:Retrieve)` });
    }
  }
}
