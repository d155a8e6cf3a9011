import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '../..');

describe('the real CDK CLI through cdk.json', () => {
  test('cdk synth builds the example stack with cdk-nag AwsSolutions and strict template validation passing', () => {
    const out = mkdtempSync(join(tmpdir(), 'ai-stack-cdk-'));
    const cdk = join(ROOT, 'node_modules/.bin/cdk');
    const result = spawnSync(cdk, ['synth', '--quiet', '--no-notices', '--output', out], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1' } });
    expect({ status: result.status, stderr: result.status === 0 ? '' : result.stderr }).toEqual({ status: 0, stderr: '' });
    const template = JSON.parse(readFileSync(join(out, 'support-ai.template.json'), 'utf8')) as { Resources: Record<string, { Type: string }> };
    expect(Object.values(template.Resources).filter((r) => r.Type === 'AWS::AutoScaling::AutoScalingGroup')).toHaveLength(2);
    // cdk-nag and template validation ran and found nothing.
    const report = JSON.parse(readFileSync(join(out, 'validation-report.json'), 'utf8')) as { pluginReports: unknown[] };
    expect(report.pluginReports).toEqual([]);
  });
});
