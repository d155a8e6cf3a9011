/**
 * Reading and merging a map attribute (`labels` on Google resources, `tags` on Azure resources) of a
 * cdktf resource, without importing cdktf: GCP and Azure share this; each passes its own resources.
 */

/** The slice of a cdktf `TerraformResource` these helpers use. */
export interface TfResourceLike {
  readonly node: { readonly path: string };
  readonly terraformResourceType: string;
  toTerraform(): unknown;
}

/** True when the resource type declares the map attribute (generated bindings define `reset<Name>()`). */
export function hasMapAttribute(resource: object, attribute: 'labels' | 'tags'): boolean {
  const reset = `reset${attribute[0].toUpperCase()}${attribute.slice(1)}`;
  return typeof (resource as Record<string, unknown>)[reset] === 'function';
}

/** Sets `values` on the attribute, keeping any key the resource already sets itself. */
export function mergeMapAttribute(resource: object, attribute: 'labels' | 'tags', values: Readonly<Record<string, string>>): void {
  const current = (resource as Record<string, unknown>)[`${attribute}Input`];
  if (current !== undefined && (typeof current !== 'object' || current === null)) return; // a token: leave it, validation reports it
  (resource as Record<string, unknown>)[attribute] = { ...values, ...((current as Record<string, string>) ?? {}) };
}

/** Required keys missing from the attribute in the resource's final Terraform JSON (overrides included). */
export function missingKeys(resource: TfResourceLike, attribute: 'labels' | 'tags', required: readonly string[]): string[] {
  const json = resource.toTerraform() as { resource?: Record<string, Record<string, Record<string, unknown>>> };
  const byType = json.resource?.[resource.terraformResourceType] ?? {};
  const config = Object.values(byType)[0] ?? {};
  const map = config[attribute];
  if (typeof map === 'string') return []; // an expression resolved at apply time cannot be checked here
  const present = (map ?? {}) as Record<string, unknown>;
  return required.filter((k) => present[k] === undefined || present[k] === null || present[k] === '');
}

export function missingTagError(resource: TfResourceLike, attribute: 'labels' | 'tags', missing: readonly string[]): Error {
  return new Error(
    `${resource.node.path} (${resource.terraformResourceType}) is missing cost ${attribute === 'labels' ? 'label' : 'tag'}${missing.length > 1 ? 's' : ''} ` +
      `${missing.join(', ')}: every resource that takes ${attribute} must carry the design's cost ${attribute}; do not override them away`,
  );
}
