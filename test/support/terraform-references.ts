// Checks that synthesized Terraform JSON is closed: every `${...}` reference and `depends_on` entry
// names a resource, data source, variable, local or module the configuration declares. Shared by the
// GCP and Azure tests.

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
  // depends_on entries are bare addresses, not interpolations.
  for (const block of [json.resource, json.data]) {
    for (const [type, byName] of Object.entries(block ?? {})) {
      for (const [name, config] of Object.entries(byName)) {
        for (const dep of (config.depends_on as string[] | undefined) ?? []) {
          const bare = dep.startsWith('${') ? dep.slice(2, -1) : dep;
          for (const reference of referencesInExpression(bare)) if (!declared.has(reference)) problems.push(`${type}.${name}.depends_on: ${reference}`);
        }
      }
    }
  }
  return problems;
}
