// Test helpers for the cdktf (Google Cloud) constructs: a stack with the Google provider, its
// synthesized Terraform JSON as an object, and a check that every `${...}` reference in that JSON
// names something the configuration declares.
import { App, TerraformStack, Testing } from 'cdktf';
import type { IConstruct } from 'constructs';
import { GoogleProvider } from '@cdktf/provider-google/lib/provider';

/** Synthesized Terraform JSON (the parts the tests read). */
export interface TerraformJson {
  readonly resource?: Record<string, Record<string, Record<string, unknown>>>;
  readonly data?: Record<string, Record<string, Record<string, unknown>>>;
  readonly variable?: Record<string, unknown>;
  readonly locals?: Record<string, unknown>;
  readonly module?: Record<string, unknown>;
  readonly output?: Record<string, unknown>;
  readonly provider?: Record<string, unknown>;
  readonly terraform?: Record<string, unknown>;
}

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

/** A Terraform reference found inside an interpolation, with where it was found. */
export interface FoundReference {
  /** JSON path of the string holding it, e.g. `resource.google_x.y.network_interface[0].network`. */
  readonly path: string;
  /** The referenced object: `google_x.y`, `data.google_x.y`, `var.x`, `local.x`, `module.x`, or a bare name. */
  readonly reference: string;
}

const TERRAFORM_KEYWORDS = new Set(['true', 'false', 'null', 'for', 'in', 'if', 'else', 'endif', 'endfor']);
const SPECIAL_ROOTS = new Set(['count', 'each', 'self', 'path', 'terraform']);

/** The `${...}` expressions in a string (Terraform's `$${` escape is skipped). */
export function interpolations(value: string): string[] {
  const found: string[] = [];
  for (let i = 0; i < value.length - 1; i++) {
    if (value[i] !== '$' || value[i + 1] !== '{' || (i > 0 && value[i - 1] === '$')) continue;
    let depth = 0;
    let inString = false;
    for (let j = i + 1; j < value.length; j++) {
      const c = value[j];
      if (inString) {
        if (c === '\\') j++;
        else if (c === '"') inString = false;
        continue;
      }
      if (c === '"') inString = true;
      else if (c === '{') depth++;
      else if (c === '}' && --depth === 0) {
        found.push(value.slice(i + 2, j));
        i = j;
        break;
      }
    }
  }
  return found;
}

/** Objects an expression refers to (function names, keywords and string literals excluded). */
export function referencesInExpression(expression: string): string[] {
  const code = expression.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  const refs: string[] = [];
  const chain = /(?<![\w.\-])([A-Za-z_][\w-]*)((?:\.[\w-]+|\[[^\]]*\])*)(\s*\()?/g;
  for (const m of code.matchAll(chain)) {
    const [, root, rest, call] = m;
    if (call) continue; // function call
    if (/^\d/.test(root) || TERRAFORM_KEYWORDS.has(root) || SPECIAL_ROOTS.has(root)) continue;
    const segments = rest.split('.').filter((s) => s !== '' && !s.startsWith('['));
    if (root === 'data') refs.push(`data.${segments.slice(0, 2).join('.')}`);
    else if (root === 'var' || root === 'local' || root === 'module') refs.push(`${root}.${segments[0] ?? ''}`);
    else if (segments.length > 0) refs.push(`${root}.${segments[0]}`);
    else refs.push(root); // a bare name: never valid at the top of an expression
  }
  return refs;
}

/** Every reference in every interpolation of the JSON. */
export function allReferences(json: unknown): FoundReference[] {
  const found: FoundReference[] = [];
  const walk = (value: unknown, path: string): void => {
    if (typeof value === 'string') {
      for (const expression of interpolations(value)) {
        for (const reference of referencesInExpression(expression)) found.push({ path, reference });
      }
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => walk(v, `${path}[${i}]`));
    } else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) walk(v, path ? `${path}.${k}` : k);
    }
  };
  walk(json, '');
  return found;
}

/** What the configuration declares, as the references naming it. */
export function declaredObjects(json: TerraformJson): Set<string> {
  const declared = new Set<string>();
  for (const [type, byName] of Object.entries(json.resource ?? {})) for (const name of Object.keys(byName)) declared.add(`${type}.${name}`);
  for (const [type, byName] of Object.entries(json.data ?? {})) for (const name of Object.keys(byName)) declared.add(`data.${type}.${name}`);
  for (const name of Object.keys(json.variable ?? {})) declared.add(`var.${name}`);
  for (const name of Object.keys(json.locals ?? {})) declared.add(`local.${name}`);
  for (const name of Object.keys(json.module ?? {})) declared.add(`module.${name}`);
  return declared;
}

/**
 * References that name nothing declared (each as `path: reference`), plus any template directive
 * (`%{`), which no construct should emit. Empty when the configuration is closed.
 */
export function unresolvedReferences(json: TerraformJson): string[] {
  const declared = declaredObjects(json);
  const problems = allReferences(json)
    .filter((r) => !declared.has(r.reference))
    .map((r) => `${r.path}: ${r.reference}`);
  const walk = (value: unknown, path: string): void => {
    if (typeof value === 'string') {
      if (/(^|[^%])%\{/.test(value)) problems.push(`${path}: template directive %{`);
    } else if (Array.isArray(value)) value.forEach((v, i) => walk(v, `${path}[${i}]`));
    else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, path ? `${path}.${k}` : k);
  };
  walk(json, '');
  return problems;
}

/** Warning annotations on a construct and its children (cdktf `Annotations.of(x).addWarning`). */
export function warningsOf(construct: IConstruct): string[] {
  return construct.node
    .findAll()
    .flatMap((c) => c.node.metadata.filter((m) => m.type === '@cdktf/warn').map((m) => String(m.data)));
}
