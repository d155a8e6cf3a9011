import { AzurermProvider } from '@cdktf/provider-azurerm/lib/provider';
import { ResourceGroup } from '@cdktf/provider-azurerm/lib/resource-group';
import { App, TerraformStack, Testing } from 'cdktf';

/** Terraform JSON as cdktf synthesizes it (metadata removed by `Testing.synth`). */
export interface TfJson {
  resource?: Record<string, Record<string, Record<string, unknown>>>;
  data?: Record<string, Record<string, Record<string, unknown>>>;
  variable?: Record<string, unknown>;
  locals?: Record<string, unknown>;
  module?: Record<string, unknown>;
  output?: Record<string, unknown>;
  provider?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface TestStack {
  readonly app: App;
  readonly stack: TerraformStack;
  readonly provider: AzurermProvider;
  readonly resourceGroup: ResourceGroup;
}

/** A cdktf stack with the azurerm provider (`features {}`) and one resource group, for construct tests. */
export function makeStack(options: { name?: string; location?: string } = {}): TestStack {
  const app = Testing.app();
  const stack = new TerraformStack(app, options.name ?? 'test');
  const provider = new AzurermProvider(stack, 'azurerm', { features: [{}] });
  const resourceGroup = new ResourceGroup(stack, 'rg', { name: 'rg-test', location: options.location ?? 'eastus2' });
  return { app, stack, provider, resourceGroup };
}

/** Synthesizes the stack (aspects included) to parsed Terraform JSON. */
export function synthJson(stack: TerraformStack): TfJson {
  return JSON.parse(Testing.synth(stack)) as TfJson;
}

/** Every resource of one type: `{ logicalName: config }`. */
export function resourcesOf(json: TfJson, type: string): Record<string, Record<string, unknown>> {
  return json.resource?.[type] ?? {};
}

/** The one resource of a type (throws when there are none or several). */
export function onlyResource(json: TfJson, type: string): Record<string, unknown> {
  const all = Object.values(resourcesOf(json, type));
  if (all.length !== 1) throw new Error(`expected one ${type}, found ${all.length}`);
  return all[0];
}

/** The resource of a type whose `name` attribute equals `name`. */
export function resourceNamed(json: TfJson, type: string, name: string): Record<string, unknown> {
  const found = Object.values(resourcesOf(json, type)).find((r) => r.name === name);
  if (!found) throw new Error(`no ${type} named ${name}; have ${Object.values(resourcesOf(json, type)).map((r) => r.name).join(', ')}`);
  return found;
}

/** The `${...}` expressions inside a string, with nested braces and quoted strings handled; `$${` is a literal. */
export function expressionsIn(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    const start = text.indexOf('${', i);
    if (start < 0) break;
    if (start > 0 && text[start - 1] === '$') {
      i = start + 2;
      continue;
    }
    let depth = 1;
    let j = start + 2;
    let quote = false;
    while (j < text.length && depth > 0) {
      const c = text[j];
      if (quote) {
        if (c === '\\') j++;
        else if (c === '"') quote = false;
      } else if (c === '"') quote = true;
      else if (c === '{') depth++;
      else if (c === '}') depth--;
      j++;
    }
    out.push(text.slice(start + 2, j - 1));
    i = j;
  }
  return out;
}

/**
 * Addresses an expression refers to: `type.name` for resources, `data.type.name`, `var.x`, `local.x`,
 * `module.x`. String literals are skipped; attribute paths after an address are not mistaken for one.
 */
export function referencesIn(expression: string): string[] {
  const withoutStrings = expression.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  const refs: string[] = [];
  const pattern = /(?<![\w.\]])(data\.[a-z][a-z0-9_]*\.[A-Za-z_][\w-]*|(?:var|local|module)\.[A-Za-z_][\w-]*|[a-z][a-z0-9]*_[a-z0-9_]+\.[A-Za-z_][\w-]*)/g;
  for (const m of withoutStrings.matchAll(pattern)) {
    // `foo_bar.baz(` would be a namespaced function call, not an address.
    if (withoutStrings[m.index + m[0].length] === '(') continue;
    refs.push(m[1]);
  }
  return refs;
}

function walkStrings(value: unknown, visit: (s: string, path: string) => void, path = ''): void {
  if (typeof value === 'string') visit(value, path);
  else if (Array.isArray(value)) value.forEach((v, i) => walkStrings(v, visit, `${path}[${i}]`));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) walkStrings(v, visit, path ? `${path}.${k}` : k);
}

/**
 * References in the Terraform JSON that resolve to nothing declared (resource, data source, variable,
 * local or module), as `path: address` lines; empty when every `${...}` and `depends_on` entry resolves.
 */
export function unresolvedReferences(json: TfJson): string[] {
  const declared = new Set<string>();
  for (const [type, byName] of Object.entries(json.resource ?? {})) for (const name of Object.keys(byName)) declared.add(`${type}.${name}`);
  for (const [type, byName] of Object.entries(json.data ?? {})) for (const name of Object.keys(byName)) declared.add(`data.${type}.${name}`);
  for (const name of Object.keys(json.variable ?? {})) declared.add(`var.${name}`);
  for (const name of Object.keys(json.locals ?? {})) declared.add(`local.${name}`);
  for (const name of Object.keys(json.module ?? {})) declared.add(`module.${name}`);

  const missing: string[] = [];
  const check = (ref: string, path: string) => {
    if (!declared.has(ref)) missing.push(`${path}: ${ref}`);
  };
  walkStrings(json, (s, path) => {
    for (const expr of expressionsIn(s)) for (const ref of referencesIn(expr)) check(ref, path);
  });
  // depends_on entries are bare addresses.
  for (const block of [json.resource, json.data]) {
    for (const [type, byName] of Object.entries(block ?? {})) {
      for (const [name, config] of Object.entries(byName)) {
        for (const dep of (config.depends_on as string[] | undefined) ?? []) {
          const bare = dep.startsWith('${') ? dep.slice(2, -1) : dep;
          for (const ref of referencesIn(bare)) check(ref, `${type}.${name}.depends_on`);
        }
      }
    }
  }
  return missing;
}

/** The decoded cloud-init of a scale set (`os_profile.custom_data` is base64). */
export function decodeCustomData(scaleSet: Record<string, unknown>): string {
  const osProfile = scaleSet.os_profile as { custom_data?: string } | undefined;
  if (!osProfile?.custom_data) throw new Error('scale set has no os_profile.custom_data');
  return Buffer.from(osProfile.custom_data, 'base64').toString('utf8');
}
