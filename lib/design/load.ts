import { readFileSync } from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import type { AiStackDesign, ValidateOptions } from './design';
import { collectProblems } from './design';
import { DesignError, type DesignProblem } from './problems';

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

/** Parses and validates design text; `source` names it in messages. */
export function parseDesign(text: string, source: string, options: ValidateOptions = {}): AiStackDesign {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const problems: DesignProblem[] = doc.errors.map((e) => ({
      path: '(syntax)',
      message: e.message.split('\n')[0],
      line: lineCounter.linePos(e.pos[0]).line,
    }));
    throw new DesignError(problems, source);
  }
  const design = doc.toJS() as AiStackDesign;
  const problems = collectProblems(design, options);
  if (problems.count > 0) {
    throw new DesignError(
      problems.all.map((p) => ({ ...p, line: lineOf(doc.contents, p.path, lineCounter) })),
      source,
    );
  }
  return design;
}

/** `endpoints[1].capacity.max` → ['endpoints', 1, 'capacity', 'max']. */
export function pathSegments(path: string): (string | number)[] {
  const segments: (string | number)[] = [];
  for (const part of path.split('.')) {
    const m = /^([^[]*)((\[\d+\])*)$/.exec(part);
    if (!m) {
      segments.push(part);
      continue;
    }
    if (m[1]) segments.push(m[1]);
    for (const idx of m[2].matchAll(/\[(\d+)\]/g)) segments.push(Number(idx[1]));
  }
  return segments;
}

/** Line of the deepest node of `path` present in the document (the key's line for map entries). */
function lineOf(root: YamlNode | null, path: string, lines: LineCounter): number | undefined {
  let node: unknown = root;
  let line = root?.range ? lines.linePos(root.range[0]).line : undefined;
  for (const segment of pathSegments(path)) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === segment);
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
