import { GoogleProvider } from '@cdktf/provider-google/lib/provider';
import { TerraformOutput, TerraformStack, TerraformVariable } from 'cdktf';
import type { Construct } from 'constructs';
import { validateDesign, type AiStackDesign } from '../design';
import { applyCostLabels, type CostLabels } from './cost-tags';

export interface AiStackProps {
  /** The cloud-neutral design this stack builds. It is validated for GCP before anything is created. */
  readonly design: AiStackDesign;
}

/**
 * The whole AI stack on Google Cloud, built from one design, as a cdktf stack with the google
 * provider configured from the design's region and project, and the cost labels on every resource.
 */
export class AiStack extends TerraformStack {
  public readonly design: AiStackDesign;
  public readonly provider: GoogleProvider;
  /** Project id: the design's, or a reference to the `gcp_project` variable. */
  public readonly project: string;
  public readonly region: string;
  public readonly costLabels: CostLabels;

  constructor(scope: Construct, id: string, props: AiStackProps) {
    validateDesign(props.design, { clouds: ['gcp'] });
    super(scope, id);
    const design = props.design;
    this.design = design;
    this.region = design.region.gcp as string;
    this.project = design.accounts?.gcp ?? new TerraformVariable(this, 'gcp_project', { type: 'string', description: 'Google Cloud project id to deploy into' }).stringValue;
    this.costLabels = applyCostLabels(this, design.tags);
    this.provider = new GoogleProvider(this, 'google', {
      project: this.project,
      region: this.region,
      addTerraformAttributionLabel: false,
    });
    // Set by override: cdktf snake-cases the keys of provider blocks, which would turn the
    // `cost-center` label into `cost_center`.
    this.provider.addOverride('default_labels', this.costLabels.labels);
    if (Object.keys(this.costLabels.changed).length > 0) {
      // Label rules forced a change (case, characters): keep the original values visible.
      new TerraformOutput(this, 'cost_label_original_values', {
        value: this.costLabels.changed,
        description: 'Design tag values that GCP label rules changed, by label key',
      });
    }
    buildCapabilities(this, design);
  }
}

/** Builds each capability of the design inside the stack. */
function buildCapabilities(_stack: AiStack, _design: AiStackDesign): void {
  // Capabilities are added here as their constructs land.
}
