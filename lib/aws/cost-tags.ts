import { AspectPriority, Aspects, CfnResource, Tags, TagManager, type IAspect } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { renderTags, type CostTagsDesign } from '../design';

/**
 * Fails synth, naming the resource, where a taggable resource lacks a required cost tag. It runs
 * after every mutating aspect (tags are themselves applied by an aspect), so it sees the final tags.
 */
export class RequiredTagsAspect implements IAspect {
  constructor(private readonly requiredKeys: readonly string[]) {}

  public visit(node: IConstruct): void {
    if (!(node instanceof CfnResource) || !TagManager.isTaggable(node)) return;
    const present = node.tags.tagValues();
    const missing = this.requiredKeys.filter((k) => present[k] === undefined || present[k] === '');
    if (missing.length > 0) {
      throw new Error(
        `${node.node.path} (${node.cfnResourceType}) is missing cost tag${missing.length > 1 ? 's' : ''} ${missing.join(', ')}: ` +
          'every taggable resource must carry the design\'s cost tags; do not remove them with Tags.of(...).remove()',
      );
    }
  }
}

/**
 * Applies the design's cost tags to every resource in `scope` and validates them at synth.
 * Returns the rendered tags.
 */
export function applyCostTags(scope: IConstruct, tags: CostTagsDesign): Record<string, string> {
  const rendered = renderTags(tags);
  for (const [key, value] of Object.entries(rendered)) Tags.of(scope).add(key, value);
  Aspects.of(scope).add(new RequiredTagsAspect(Object.keys(rendered)), { priority: AspectPriority.READONLY });
  return rendered;
}
