import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDesign, pathSegments } from '../../lib/design';
import { designErrorOf } from '../support/design-error';

const dir = mkdtempSync(join(tmpdir(), 'ai-stack-load-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const VALID = `name: demo-ai
region:
  aws: us-east-1
tags:
  team: ml
  costCenter: cc-1
  environment: test
  application: demo
endpoints:
  - name: llm
    accelerator: nvidia-l4
    server:
      image: vllm/vllm-openai:v0.6.3
      model: meta-llama/Llama-3.1-8B-Instruct
    capacity:
      min: 1
      max: 3
`;

describe('loadDesign', () => {
  test('loads YAML', () => {
    const design = loadDesign(file('ok.yaml', VALID));
    expect(design.name).toBe('demo-ai');
    expect(design.endpoints?.[0].capacity).toEqual({ min: 1, max: 3 });
  });

  test('loads JSON', () => {
    const design = loadDesign(file('ok.json', JSON.stringify({ name: 'demo-ai', region: { gcp: 'us-central1' }, tags: { team: 'a', costCenter: 'b', environment: 'c', application: 'd' } }, null, 2)));
    expect(design.region).toEqual({ gcp: 'us-central1' });
  });

  test('a misspelled key is reported with file, line and key', () => {
    const path = file('typo.yaml', VALID.replace('    capacity:\n      min: 1', '    capacity:\n      minn: 1'));
    const error = designErrorOf(() => loadDesign(path));
    expect(error.problems).toContainEqual(expect.objectContaining({ path: 'endpoints[0].capacity.minn', line: 16 }));
    expect(error.message).toContain(`${path}:16: endpoints[0].capacity.minn: unknown key (did you mean 'min'?)`);
  });

  test('a YAML syntax error names the line', () => {
    const path = file('broken.yaml', 'name: demo-ai\nregion:\n  aws: [us-east-1\ntags: {}\n');
    const error = designErrorOf(() => loadDesign(path));
    expect(error.problems[0].path).toBe('(syntax)');
    expect(error.problems[0].line).toBeGreaterThanOrEqual(3);
    expect(error.message).toMatch(new RegExp(`${path.replace(/[.]/g, '\\.')}:\\d+: \\(syntax\\)`));
  });

  test('a JSON syntax error names the line', () => {
    const path = file('broken.json', '{\n  "name": "demo-ai",\n  "region": { "aws": "us-east-1" \n  "tags": {}\n}\n');
    const error = designErrorOf(() => loadDesign(path));
    expect(error.problems[0].path).toBe('(syntax)');
    expect(error.problems[0].line).toBe(4);
  });

  test('duplicate keys are an error, not a silent override', () => {
    const error = designErrorOf(() => loadDesign(file('dup.yaml', VALID + 'name: other\n')));
    expect(error.problems[0].message).toMatch(/unique/i);
  });

  test('semantic problems carry the line of their field', () => {
    const error = designErrorOf(() => loadDesign(file('bounds.yaml', VALID.replace('max: 3', 'max: 0'))));
    const problem = error.problems.find((p) => p.path === 'endpoints[0].capacity.max');
    expect(problem?.line).toBe(17);
  });

  test('a missing file is a clear error', () => {
    const error = designErrorOf(() => loadDesign(join(dir, 'absent.yaml')));
    expect(error.message).toMatch(/cannot read .*absent\.yaml: ENOENT/);
  });

  test('the example design validates', () => {
    expect(loadDesign(join(__dirname, '../../examples/ai-stack.yaml')).name).toBe('support-ai');
  });

  test('an empty file is a clear DesignError naming the file', () => {
    const path = file('empty.yaml', '');
    const error = designErrorOf(() => loadDesign(path));
    expect(error.message).toBe(`invalid design in ${path} (1 problem):\n  - ${path}:1: (design): the file is empty: a design is a map with at least name, region and tags (see docs/design.md)`);
  });

  test('a YAML alias bomb is a DesignError, not a ReferenceError', () => {
    let text = 'a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n';
    for (const [prev, name] of ['ab', 'bc', 'cd', 'de', 'ef', 'fg', 'gh', 'hi']) text += `${name}: &${name} [${Array(9).fill(`*${prev}`).join(', ')}]\n`;
    const started = Date.now();
    const error = designErrorOf(() => loadDesign(file('bomb.yaml', text)));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(error.problems[0]).toMatchObject({ path: '(syntax)', line: 2 });
    expect(error.message).toMatch(/billion laughs/);
  });

  test('.inf is refused with the value named, at its line', () => {
    const error = designErrorOf(() => loadDesign(file('inf.yaml', VALID.replace('max: 3', 'max: .inf'))));
    expect(error.problems).toContainEqual({ path: 'endpoints[0].capacity.max', message: 'must be a finite number (got Infinity)', line: 17 });
  });

  test('a key with a dot keeps its line', () => {
    const error = designErrorOf(() => loadDesign(file('dot.yaml', VALID.replace('  application: demo\n', '  application: demo\n  extra:\n    app.io/name: "a#b"\n'))));
    expect(error.problems).toContainEqual(expect.objectContaining({ path: 'tags.extra["app.io/name"]', line: 10 }));
  });

  test('paths split into keys and indexes', () => {
    expect(pathSegments('endpoints[1].capacity.max')).toEqual(['endpoints', 1, 'capacity', 'max']);
    expect(pathSegments('router.routes[0].tiers[2].targets[1].model')).toEqual(['router', 'routes', 0, 'tiers', 2, 'targets', 1, 'model']);
  });
});
