import { Aspects, TerraformResource, type IAspect } from 'cdktf';
import type { IConstruct } from 'constructs';
import { gcpLabels, type CostTagsDesign } from '../design';
import { hasMapAttribute, mergeMapAttribute, missingKeys, missingTagError } from '../common/tf-map-attribute';

/** Sets the cost labels on every resource that takes `labels`. */
export class CostLabelsAspect implements IAspect {
  constructor(private readonly labels: Readonly<Record<string, string>>) {}

  public visit(node: IConstruct): void {
    if (node instanceof TerraformResource && hasMapAttribute(node, 'labels')) mergeMapAttribute(node, 'labels', this.labels);
  }
}

/** Fails synth, naming the resource, where a resource that takes `labels` lacks a required cost label. */
export class RequiredLabelsAspect implements IAspect {
  constructor(private readonly requiredKeys: readonly string[]) {}

  public visit(node: IConstruct): void {
    if (!(node instanceof TerraformResource) || !hasMapAttribute(node, 'labels')) return;
    const missing = missingKeys(node, 'labels', this.requiredKeys);
    if (missing.length > 0) throw missingTagError(node, 'labels', missing);
  }
}

/** The design's tags as GCP labels, sanitized to label rules, with the originals of changed values. */
export interface CostLabels {
  readonly labels: Readonly<Record<string, string>>;
  /** Original tag values that label rules forced to change, by key. */
  readonly changed: Readonly<Record<string, string>>;
}

/** Labels every resource in `scope` that takes labels and validates them at synth. */
export function applyCostLabels(scope: IConstruct, tags: CostTagsDesign): CostLabels {
  const { labels, changed } = gcpLabels(tags);
  // Aspects run in the order added: set first, then check the final configuration.
  Aspects.of(scope).add(new CostLabelsAspect(labels));
  Aspects.of(scope).add(new RequiredLabelsAspect(Object.keys(labels)));
  return { labels, changed };
}
