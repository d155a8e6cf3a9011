import { Aspects, TerraformResource, type IAspect } from 'cdktf';
import type { IConstruct } from 'constructs';
import { gcpLabels, type CostTagsDesign } from '../design';
import { hasMapAttribute, mergeMapAttribute, missingKeys, missingTagError } from '../common/tf-map-attribute';

/**
 * Resources whose `labels` is their configuration, not user labels: a notification channel's
 * `labels` are its type's settings (`email_address`), which the API checks against the channel
 * descriptor, so the cost labels go into its `user_labels`.
 */
const USER_LABELS_TYPES: ReadonlySet<string> = new Set(['google_monitoring_notification_channel']);

interface UserLabelled {
  userLabels?: Record<string, string>;
  readonly userLabelsInput?: unknown;
}

/** Sets the cost labels on every resource that takes `labels` (`user_labels` where `labels` is configuration). */
export class CostLabelsAspect implements IAspect {
  constructor(private readonly labels: Readonly<Record<string, string>>) {}

  public visit(node: IConstruct): void {
    if (!(node instanceof TerraformResource)) return;
    if (USER_LABELS_TYPES.has(node.terraformResourceType)) {
      const r = node as unknown as UserLabelled;
      const current = r.userLabelsInput;
      if (current !== undefined && (typeof current !== 'object' || current === null)) return; // a token: leave it
      r.userLabels = { ...this.labels, ...((current as Record<string, string>) ?? {}) };
      return;
    }
    if (hasMapAttribute(node, 'labels')) mergeMapAttribute(node, 'labels', this.labels);
  }
}

/** Fails synth, naming the resource, where a resource that takes `labels` lacks a required cost label. */
export class RequiredLabelsAspect implements IAspect {
  constructor(private readonly requiredKeys: readonly string[]) {}

  public visit(node: IConstruct): void {
    if (!(node instanceof TerraformResource)) return;
    if (USER_LABELS_TYPES.has(node.terraformResourceType)) {
      const json = node.toTerraform() as { resource?: Record<string, Record<string, { user_labels?: Record<string, unknown> | string }>> };
      const config = Object.values(json.resource?.[node.terraformResourceType] ?? {})[0] ?? {};
      if (typeof config.user_labels === 'string') return;
      const missing = this.requiredKeys.filter((k) => !(config.user_labels as Record<string, unknown> | undefined)?.[k]);
      if (missing.length > 0) throw new Error(`${node.node.path} (${node.terraformResourceType}) is missing cost label${missing.length > 1 ? 's' : ''} ${missing.join(', ')} in user_labels: every resource must carry the design's cost labels; do not override them away`);
      return;
    }
    if (!hasMapAttribute(node, 'labels')) return;
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
