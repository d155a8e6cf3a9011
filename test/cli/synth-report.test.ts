import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { runCli } from '../support/cli';
import { notDeployedSections, loadDesign } from '../../lib/design';

const ROOT = join(__dirname, '../..');
const EXAMPLE = join(ROOT, 'examples/ai-stack.yaml');

const run = runCli;

/** The warnings cdktf recorded in a synthesized GCP output's manifest.json: [id, construct path]. */
function manifestWarnings(out: string): string[][] {
  const manifest = JSON.parse(readFileSync(join(out, 'gcp/manifest.json'), 'utf8')) as { stacks: Record<string, { annotations: { constructPath: string; level: string; message: string }[] }> };
  return Object.values(manifest.stacks).flatMap((s) => s.annotations.filter((a) => a.level === '@cdktf/warn').map((a) => [/^\[([^\]]+)\]/.exec(a.message)![1], a.constructPath]));
}

describe('ai-stack synth: warnings, --strict, sections not deployed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ai-stack-report-'));
  const out = join(dir, 'gcp-out');
  let gcp: { code: number; stdout: string; stderr: string };
  let gcpWarnings: string[][] = [];
  beforeAll(async () => {
    gcp = await run(['synth', EXAMPLE, '--cloud', 'gcp', '--out', out]);
    gcpWarnings = gcp.code === 0 ? manifestWarnings(out) : [];
  });

  test('prints every GCP warning with its id and construct path, and the sections it did not deploy', async () => {
    const { code, stdout, stderr } = gcp;
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const printed = [...stdout.matchAll(/^warning \[([^\]]+)\] at (\S+): (.+)$/gm)].map((m) => [m[1], m[2]]);
    // Every warning cdktf recorded, none left out: the example raises several on GCP.
    expect(printed).toEqual(gcpWarnings);
    expect(gcpWarnings).toContainEqual(['ai-stack:gcp-group-floor', 'support-ai/endpoint-llama-8b']);
    expect(stdout).toContain('warning [ai-stack:gcp-group-floor] at support-ai/endpoint-llama-8b: the spot group keeps one replica');
    // Every section of the example is built on GCP now (capabilities.ts), so the report says so and the
    // budget check compares the whole deployed total; the 'not deployed' report is tested with a mocked
    // capabilities table in test/design/estimate.test.ts.
    expect(notDeployedSections(loadDesign(EXAMPLE), 'gcp')).toEqual([]);
    expect(stdout).toContain('every section of the design is deployed on gcp');
    expect(stdout).toMatch(/^within the monthly budget of \$40,000\.00: deployed total \$[\d,.]+$/m);
  });

  test('--strict fails on any warning: exit 1, the warnings listed, nothing written', async () => {
    const strictOut = join(dir, 'strict-out');
    expect(gcpWarnings.length).toBeGreaterThan(0);
    const { code, stderr, stdout } = await run(['synth', EXAMPLE, '--cloud', 'gcp', '--out', strictOut, '--strict']);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain(`--strict: synth raised ${gcpWarnings.length} warning(s), so nothing was written`);
    for (const [id, path] of gcpWarnings) expect(stderr).toContain(`warning [${id}] at ${path}: `);
    expect(existsSync(strictOut)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes('staging'))).toEqual([]);
  });

  test('--strict passes a synth without warnings', async () => {
    const out = join(dir, 'strict-azure');
    // The example's Azure router warns that the Bedrock and Vertex targets run elsewhere, and its
    // guardrails and budget need the router (the budget's anomaly alert is subscription-wide);
    // without them the Azure stack raises no warning.
    const design = join(dir, 'no-router.yaml');
    const example = parse(readFileSync(EXAMPLE, 'utf8')) as Record<string, unknown>;
    delete example.router;
    delete example.guardrails;
    delete example.budget;
    writeFileSync(design, stringify(example));
    const result = await run(['synth', design, '--cloud', 'azure', '--out', out, '--strict']);
    expect(result.stdout).not.toMatch(/^warning /m);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    expect(existsSync(join(out, 'azure/stacks/support-ai/cdk.tf.json'))).toBe(true);
  });

  test("without --cloud, synth builds the design's clouds only (those with a region)", async () => {
    const design = join(dir, 'gcp-only.yaml');
    writeFileSync(design, readFileSync(EXAMPLE, 'utf8').replace('  aws: us-east-1\n', '').replace('  azure: eastus\n', ''));
    const out = join(dir, 'default-clouds');
    const { code, stdout, stderr } = await run(['synth', design, '--out', out]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(readdirSync(out)).toEqual(['gcp']);
    expect(stdout).toMatch(/^== gcp: /m);
    expect(stdout).not.toMatch(/^== (aws|azure): /m);
  });
});
