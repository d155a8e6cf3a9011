import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { HEADER } from '../../../lib/router/handlers/pipeline';

const ROOT = join(__dirname, '../../..');
const DOC = readFileSync(join(ROOT, 'docs/router.md'), 'utf8');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [readFileSync(path, 'utf8')] : [];
  });
}

/** Every error code the router can answer with: RouterError constructions and raw error bodies. */
function errorCodes(): string[] {
  const codes = new Set<string>();
  for (const text of sources(join(ROOT, 'lib/router'))) {
    for (const m of text.matchAll(/new RouterError\(\s*\d{3},\s*'[a-z_]+',\s*'([a-z_]+)'/g)) codes.add(m[1]);
    // invalidRequest(message, param, code), and its default code
    for (const m of text.matchAll(/invalidRequest\([^;]*?,\s*(?:'[^']*'|null),\s*'([a-z_]+)',?\s*\)/g)) codes.add(m[1]);
    for (const m of text.matchAll(/code: string \| null = '([a-z_]+)'/g)) codes.add(m[1]);
    for (const m of text.matchAll(/code: '([a-z_]+)'/g)) codes.add(m[1]);
  }
  return [...codes].sort();
}

describe('docs/router.md', () => {
  test('documents every error code the router returns', () => {
    const codes = errorCodes();
    expect(codes.length).toBeGreaterThan(15);
    const missing = codes.filter((c) => !DOC.includes(`\`${c}\``));
    expect(missing).toEqual([]);
  });

  test('documents every response header', () => {
    const missing = Object.values(HEADER).filter((h) => !DOC.includes(`\`${h}`));
    expect(missing).toEqual([]);
  });
});
