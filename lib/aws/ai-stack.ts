import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { validateDesign, type AiStackDesign } from '../design';
import { applyCostTags } from './cost-tags';

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
    buildCapabilities(this, design);
  }
}

/** Builds each capability of the design inside the stack. */
function buildCapabilities(_stack: AiStack, _design: AiStackDesign): void {
  // Capabilities are added here as their constructs land.
}
