import { Aspects, TerraformResource, type IAspect } from 'cdktf';
import type { IConstruct } from 'constructs';
import { renderTags, type CostTagsDesign } from '../design';
import { hasMapAttribute, mergeMapAttribute, missingKeys, missingTagError } from '../common/tf-map-attribute';
import { escapeTerraformMap } from '../cdktf/escape';

/** Sets the cost tags on every resource that takes `tags`. */
export class CostTagsAspect implements IAspect {
  constructor(private readonly tags: Readonly<Record<string, string>>) {}

  public visit(node: IConstruct): void {
    if (node instanceof TerraformResource && hasMapAttribute(node, 'tags')) mergeMapAttribute(node, 'tags', this.tags);
  }
}

/** Fails synth, naming the resource, where a resource that takes `tags` lacks a required cost tag. */
export class RequiredTagsAspect implements IAspect {
  constructor(private readonly requiredKeys: readonly string[]) {}

  public visit(node: IConstruct): void {
    if (!(node instanceof TerraformResource) || !hasMapAttribute(node, 'tags')) return;
    const missing = missingKeys(node, 'tags', this.requiredKeys);
    if (missing.length > 0) throw missingTagError(node, 'tags', missing);
  }
}

/** Tags every resource in `scope` that takes tags and validates them at synth. Returns the tags. */
export function applyCostTags(scope: IConstruct, tags: CostTagsDesign): Record<string, string> {
  const rendered = renderTags(tags);
  // A tag value is data: `${` or `%{` in it must not become Terraform interpolation.
  const escaped = escapeTerraformMap(rendered);
  Aspects.of(scope).add(new CostTagsAspect(escaped));
  Aspects.of(scope).add(new RequiredTagsAspect(Object.keys(escaped)));
  return rendered;
}
