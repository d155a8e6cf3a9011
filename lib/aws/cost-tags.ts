import { AspectPriority, Aspects, CfnResource, Tags, TagManager, Tokenization, type IAspect } from 'aws-cdk-lib';
import { CfnCapacityReservation } from 'aws-cdk-lib/aws-ec2';
import type { IConstruct } from 'constructs';
import { renderTags, type CostTagsDesign } from '../design';

/**
 * Fails synth, naming the resource, where a taggable resource lacks a required cost tag. It runs
 * after every mutating aspect (tags are themselves applied by an aspect), so it sees the final tags.
 */
export class RequiredTagsAspect implements IAspect {
  constructor(private readonly requiredKeys: readonly string[]) {}

  public visit(node: IConstruct): void {
    if (!(node instanceof CfnResource)) return;
    let present: Record<string, string>;
    if (TagManager.isTaggable(node)) present = node.tags.tagValues();
    else if (node instanceof CfnCapacityReservation) present = capacityReservationTags(node);
    else return;
    const missing = this.requiredKeys.filter((k) => present[k] === undefined || present[k] === '');
    if (missing.length > 0) {
      throw new Error(
        `${node.node.path} (${node.cfnResourceType}) is missing cost tag${missing.length > 1 ? 's' : ''} ${missing.join(', ')}: ` +
          'every taggable resource must carry the design\'s cost tags; do not remove them with Tags.of(...).remove()',
      );
    }
  }
}

/** Tags of a capacity reservation, which carries them in `tagSpecifications` (not taggable by `Tags.of`). */
function capacityReservationTags(node: CfnCapacityReservation): Record<string, string> {
  const specs = Tokenization.isResolvable(node.tagSpecifications) ? [] : ((node.tagSpecifications ?? []) as CfnCapacityReservation.TagSpecificationProperty[]);
  const spec = specs.find((s) => s.resourceType === 'capacity-reservation');
  const tags = Tokenization.isResolvable(spec?.tags) ? [] : ((spec?.tags ?? []) as { key: string; value: string }[]);
  return Object.fromEntries(tags.map((t) => [t.key, t.value]));
}

/**
 * Adds the cost tags to resources whose tags live in `tagSpecifications` rather than `Tags`
 * (EC2 capacity reservations), keeping any tag the resource sets itself.
 */
export class TagSpecificationsAspect implements IAspect {
  constructor(private readonly tags: Readonly<Record<string, string>>) {}

  public visit(node: IConstruct): void {
    if (!(node instanceof CfnCapacityReservation) || Tokenization.isResolvable(node.tagSpecifications)) return;
    const merged = { ...this.tags, ...capacityReservationTags(node) };
    const others = ((node.tagSpecifications ?? []) as CfnCapacityReservation.TagSpecificationProperty[]).filter((s) => s.resourceType !== 'capacity-reservation');
    node.tagSpecifications = [
      ...others,
      { resourceType: 'capacity-reservation', tags: Object.keys(merged).sort().map((key) => ({ key, value: merged[key] })) },
    ];
  }
}

/**
 * Applies the design's cost tags to every resource in `scope` and validates them at synth.
 * Returns the rendered tags.
 */
export function applyCostTags(scope: IConstruct, tags: CostTagsDesign): Record<string, string> {
  const rendered = renderTags(tags);
  for (const [key, value] of Object.entries(rendered)) Tags.of(scope).add(key, value);
  Aspects.of(scope).add(new TagSpecificationsAspect(rendered), { priority: AspectPriority.MUTATING });
  Aspects.of(scope).add(new RequiredTagsAspect(Object.keys(rendered)), { priority: AspectPriority.READONLY });
  return rendered;
}
