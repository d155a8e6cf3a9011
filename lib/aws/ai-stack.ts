import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { Construct } from 'constructs';
import { validateDesign, type AiStackDesign } from '../design';
import { applyCostTags } from './cost-tags';
import { GpuEndpoint } from './gpu-endpoint';
import { VectorStore } from './vector-store';
import { createAccessLogsBucket, createDefaultVpc } from './gpu-endpoint/dependencies';
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
  /** The design's GPU endpoints, by endpoint name. */
  public readonly endpoints: Readonly<Record<string, GpuEndpoint>>;

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
    const endpoints: Record<string, GpuEndpoint> = {};
    for (const e of endpointDesigns) {
      endpoints[e.name] = new GpuEndpoint(this, `Endpoint-${e.name}`, { ...e, namePrefix: design.name, vpc: this.vpc, accessLogsBucket: this.accessLogsBucket });
      new CfnOutput(this, `Endpoint-${e.name}-Url`, { value: endpoints[e.name].url, description: `Internal URL of GPU endpoint ${e.name}` });
    }
    this.endpoints = endpoints;
    if (design.vectorStore) {
      this.vectorStore = new VectorStore(this, 'VectorStore', { ...design.vectorStore, namePrefix: design.name, serverAccessLogsBucket: this.accessLogsBucket });
      new CfnOutput(this, 'VectorStore-SourceBucket', { value: this.vectorStore.sourceBucket.bucketName, description: `Bucket of the documents of vector store ${design.vectorStore.name}` });
      new CfnOutput(this, 'VectorStore-KnowledgeBaseId', { value: this.vectorStore.knowledgeBaseId, description: `Knowledge base to retrieve from (bedrock:Retrieve)` });
    }
  }
}
