import { readFileSync } from 'node:fs';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node as YamlNode } from 'yaml';
import type { AiStackDesign, ValidateOptions } from './design';
import { collectProblems } from './design';
import { DesignError, holdsTokenEncoding, isNumberToken, join, joinKey, ROOT_PATH, type DesignProblem } from './problems';
import { quote } from './quote';

/**
 * Reads a design from a YAML or JSON file and validates it. A syntax error, an unknown key or any
 * other problem throws a `DesignError` whose message names the file and line of each problem.
 */
export function loadDesign(path: string, options: ValidateOptions = {}): AiStackDesign {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new DesignError([{ path: '(file)', message: `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` }], path);
  }
  return parseDesign(text, path, options);
}

/**
 * Most alias expansions a design may make (yaml's own default). A "billion laughs" document nests
 * aliases of aliases so that a few hundred bytes expand to gigabytes; it is refused, quickly.
 */
const MAX_ALIAS_COUNT = 100;

/** The YAML tags a design may use: those of plain JSON data. `!!set`, `!!binary`, `!!timestamp` and custom tags are refused. */
const PLAIN_TAGS = new Set(['str', 'int', 'float', 'bool', 'null', 'map', 'seq'].map((t) => `tag:yaml.org,2002:${t}`));

/** Parses and validates design text; `source` names it in messages. */
export function parseDesign(text: string, source: string, options: ValidateOptions = {}): AiStackDesign {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const lineAt = (offset: number | undefined) => (offset === undefined ? undefined : lineCounter.linePos(offset).line);
  if (doc.errors.length > 0) {
    const problems: DesignProblem[] = doc.errors.map((e) => ({ path: '(syntax)', message: e.message.split('\n')[0], line: lineAt(e.pos[0]) }));
    throw new DesignError(problems, source);
  }
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null && doc.contents.source === '')) {
    throw new DesignError([{ path: ROOT_PATH, message: 'the file is empty: a design is a map with at least name, region and tags (see docs/design.md)', line: 1 }], source);
  }
  const structural = plainDataProblems(doc, lineAt);
  if (structural.length > 0) throw new DesignError(structural, source);

  let design: AiStackDesign;
  try {
    design = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) as AiStackDesign;
  } catch (err) {
    if (!(err instanceof ReferenceError)) throw err;
    const firstAlias = firstAliasOffset(doc);
    throw new DesignError(
      [
        {
          path: '(syntax)',
          message: `the aliases (*name) of this file expand to more than ${MAX_ALIAS_COUNT} copies of their anchors, as in a "billion laughs" document that exhausts memory; write the values out or use fewer aliases`,
          line: lineAt(firstAlias),
        },
      ],
      source,
    );
  }

  // A token in a file gets the token message only, not also the rules that skip or refuse tokens.
  const tokens = tokenProblems(design);
  const tokenPaths = new Set(tokens.map((p) => p.path));
  const problems: DesignProblem[] = [...tokens, ...collectProblems(design, options).all.filter((p) => !tokenPaths.has(p.path))];
  if (problems.length > 0) {
    throw new DesignError(
      problems.map((p) => ({ ...p, line: lineOf(doc.contents, p.path, lineCounter) })),
      source,
    );
  }
  return design;
}

/** YAML that is not plain data: explicit tags other than those of JSON, warnings (e.g. unresolved tags), keys that are lists or maps. */
function plainDataProblems(doc: Document, lineAt: (offset: number | undefined) => number | undefined): DesignProblem[] {
  const problems: DesignProblem[] = doc.warnings.map((w) => ({ path: '(syntax)', message: w.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, ''), line: lineAt(w.pos[0]) }));
  visit(doc, {
    Node(_key, node) {
      const tag = (node as { tag?: string }).tag;
      if (tag !== undefined && !PLAIN_TAGS.has(tag) && !problems.some((p) => p.line === lineAt(node.range?.[0]) && p.message.includes(tag))) {
        problems.push({ path: '(syntax)', message: `YAML tag ${quote(tag)} is not allowed: a design holds only maps, lists, strings, numbers, booleans and null`, line: lineAt(node.range?.[0]) });
      }
    },
    Pair(_key, pair) {
      if (isPair(pair) && pair.key !== null && !isScalar(pair.key)) {
        problems.push({ path: '(syntax)', message: 'a map key must be a plain string, not a list or a map', line: lineAt((pair.key as YamlNode).range?.[0]) });
      }
    },
  });
  return problems;
}

/** Offset of the first alias in the document, for the line of an alias-bomb error. */
function firstAliasOffset(doc: Document): number | undefined {
  let offset: number | undefined;
  visit(doc, {
    Alias(_key, node) {
      offset = node.range?.[0];
      return visit.BREAK;
    },
  });
  return offset;
}

/**
 * Values in CDK/cdktf token encoding in a loaded design. Tokens exist only inside a CDK or cdktf
 * program; in a file such a value is a copy of a synthesized placeholder, and validation would skip
 * it as unresolved, so it is refused here.
 */
function tokenProblems(design: unknown): DesignProblem[] {
  const problems: DesignProblem[] = [];
  const message = (what: string) => `must be a literal value, not ${what}: tokens exist only inside a CDK or cdktf program, so a design file never holds one`;
  const walk = (value: unknown, path: string) => {
    if (typeof value === 'string') {
      if (holdsTokenEncoding(value)) problems.push({ path, message: message(`a construct token (got ${quote(value).replace(/^an unresolved token /, '')})`) });
    } else if (typeof value === 'number') {
      if (isNumberToken(value)) problems.push({ path, message: message(`the encoding of a number token (got ${value})`) });
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => walk(item, join(path, i)));
    } else if (typeof value === 'object' && value !== null) {
      for (const key of Object.keys(value)) {
        if (holdsTokenEncoding(key)) problems.push({ path: joinKey(path, key), message: message(`a construct token as a key (got ${quote(key).replace(/^an unresolved token /, '')})`) });
        walk((value as Record<string, unknown>)[key], joinKey(path, key));
      }
    }
  };
  walk(design, '');
  return problems.map((p) => (p.path ? p : { ...p, path: ROOT_PATH }));
}

/**
 * A path as `join` (problems.ts) writes it, split into keys and indexes:
 * `endpoints[1].capacity.max` → ['endpoints', 1, 'capacity', 'max'], `tags.extra[""]` → ['tags', 'extra', ''].
 */
export function pathSegments(path: string): (string | number)[] {
  const segments: (string | number)[] = [];
  let i = 0;
  while (i < path.length) {
    if (path[i] === '.') {
      i++;
      continue;
    }
    if (path[i] === '[') {
      const rest = path.slice(i);
      const index = /^\[(\d+)\]/.exec(rest);
      if (index) {
        segments.push(Number(index[1]));
        i += index[0].length;
        continue;
      }
      const quoted = /^\[("(?:[^"\\]|\\.)*")\]/.exec(rest);
      if (quoted) {
        segments.push(JSON.parse(quoted[1]) as string);
        i += quoted[0].length;
        continue;
      }
    }
    let end = i + 1;
    while (end < path.length && path[end] !== '.' && path[end] !== '[') end++;
    segments.push(path.slice(i, end));
    i = end;
  }
  return segments;
}

/** Line of the deepest node of `path` present in the document (the key's line for map entries). */
function lineOf(root: YamlNode | null, path: string, lines: LineCounter): number | undefined {
  let node: unknown = root;
  let line = root?.range ? lines.linePos(root.range[0]).line : undefined;
  for (const segment of pathSegments(path)) {
    if (isMap(node)) {
      const pair = node.items.find((p) => String(isScalar(p.key) ? p.key.value : p.key) === String(segment));
      if (!pair) break;
      const keyRange = isScalar(pair.key) ? pair.key.range : undefined;
      if (keyRange) line = lines.linePos(keyRange[0]).line;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment] as YamlNode | undefined;
      if (!item) break;
      if (item.range) line = lines.linePos(item.range[0]).line;
      node = item;
    } else {
      break;
    }
  }
  return line;
}
