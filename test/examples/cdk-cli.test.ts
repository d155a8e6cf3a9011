import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '../..');

describe('the real CDK CLI through cdk.json', () => {
  test('cdk synth builds the example stack with cdk-nag AwsSolutions, cfn-guard Control Tower rules and strict template validation passing', () => {
    const out = mkdtempSync(join(tmpdir(), 'ai-stack-cdk-'));
    const cdk = join(ROOT, 'node_modules/.bin/cdk');
    const result = spawnSync(cdk, ['synth', '--quiet', '--no-notices', '--output', out], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1' } });
    expect({ status: result.status, stderr: result.status === 0 ? '' : result.stderr }).toEqual({ status: 0, stderr: '' });
    const template = JSON.parse(readFileSync(join(out, 'support-ai.template.json'), 'utf8')) as { Resources: Record<string, { Type: string }> };
    expect(Object.values(template.Resources).filter((r) => r.Type === 'AWS::AutoScaling::AutoScalingGroup')).toHaveLength(2);
    // cdk-nag, template validation and cfn-guard's Control Tower rules ran and found nothing left
    // unacknowledged: cfn-guard reports its acknowledged findings, each with its reason.
    const report = JSON.parse(readFileSync(join(out, 'validation-report.json'), 'utf8')) as { pluginReports: { pluginName: string; conclusion: string; violations?: unknown[]; suppressedViolations?: { reason?: string }[] }[] };
    expect(report.pluginReports.map((r) => r.pluginName)).toEqual(['cdk-validator-cfnguard']);
    for (const r of report.pluginReports) {
      expect({ plugin: r.pluginName, conclusion: r.conclusion, violations: r.violations ?? [] }).toEqual({ plugin: r.pluginName, conclusion: 'success', violations: [] });
      for (const s of r.suppressedViolations ?? []) expect(s.reason?.length ?? 0).toBeGreaterThan(20);
    }
  });
});
