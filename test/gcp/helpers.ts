// Test helpers for the cdktf (Google Cloud) constructs: a stack with the Google provider, its
// synthesized Terraform JSON as an object, and a check that every `${...}` reference in that JSON
// names something the configuration declares.
import { App, TerraformStack, Testing } from 'cdktf';
import type { IConstruct } from 'constructs';
import { GoogleProvider } from '@cdktf/provider-google/lib/provider';
import type { TerraformJson } from '../support/terraform-references';

export { allReferences, declaredObjects, interpolations, referencesInExpression, unresolvedReferences, type FoundReference, type TerraformJson } from '../support/terraform-references';

export interface GcpTestStackOptions {
  /** @default 'test-project' */
  readonly project?: string;
  /** @default 'us-central1' */
  readonly region?: string;
  /** @default 'test' */
  readonly stackId?: string;
}

/** A fresh app and stack with the Google provider configured. */
export function gcpTestStack(options: GcpTestStackOptions = {}): { app: App; stack: TerraformStack } {
  const app = Testing.app();
  const stack = new TerraformStack(app, options.stackId ?? 'test');
  new GoogleProvider(stack, 'google', { project: options.project ?? 'test-project', region: options.region ?? 'us-central1' });
  return { app, stack };
}

/** The stack's Terraform JSON (aspects applied), parsed. */
export function synthJson(stack: TerraformStack): TerraformJson {
  return JSON.parse(Testing.synth(stack)) as TerraformJson;
}

/** Resources of one type, by logical name (empty when there are none). */
export function resourcesOf(json: TerraformJson, type: string): Record<string, Record<string, any>> {
  return (json.resource?.[type] ?? {}) as Record<string, Record<string, any>>;
}

/** Data sources of one type, by logical name. */
export function dataSourcesOf(json: TerraformJson, type: string): Record<string, Record<string, any>> {
  return (json.data?.[type] ?? {}) as Record<string, Record<string, any>>;
}

/** The single resource of a type; throws when there are none or several. */
export function onlyResource(json: TerraformJson, type: string): { name: string; config: Record<string, any> } {
  const entries = Object.entries(resourcesOf(json, type));
  if (entries.length !== 1) throw new Error(`expected exactly one ${type}, found ${entries.length}: ${entries.map(([n]) => n).join(', ')}`);
  return { name: entries[0][0], config: entries[0][1] };
}

/** The resource of a type whose `name` attribute equals `name`. */
export function resourceNamed(json: TerraformJson, type: string, name: string): { address: string; config: Record<string, any> } {
  const hit = Object.entries(resourcesOf(json, type)).find(([, c]) => c.name === name);
  if (!hit) throw new Error(`no ${type} named '${name}'; names: ${Object.values(resourcesOf(json, type)).map((c) => c.name).join(', ')}`);
  return { address: `${type}.${hit[0]}`, config: hit[1] };
}

/** Warning annotations on a construct and its children (cdktf `Annotations.of(x).addWarning`). */
export function warningsOf(construct: IConstruct): string[] {
  return construct.node
    .findAll()
    .flatMap((c) => c.node.metadata.filter((m) => m.type === '@cdktf/warn').map((m) => String(m.data)));
}
