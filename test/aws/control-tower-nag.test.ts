import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { App, Validations } from 'aws-cdk-lib';
import { AiStack } from '../../lib/aws';
import { loadDesign } from '../../lib/design';
import { withoutBuiltInTemplateValidation } from '../support/cdk-validation';

withoutBuiltInTemplateValidation();

// The AWS Control Tower rules of cfn-guard (@cdklabs/cdk-validator-cfnguard), a policy-validation
// plugin: every finding on the example design's stack is fixed in the constructs or acknowledged on
// the exact construct with its reason.

const GUARD = 'cdk-validator-cfnguard::';

interface Report {
  pluginReports: { violations: { ruleName: string; violatingConstructs: { constructPath: string }[] }[] }[];
}

describe('the example AiStack under the Control Tower rules of cfn-guard', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'ai-stack-guard-'));
  const app = new App({ outdir, analyticsReporting: false, stackTraces: false });
  const design = loadDesign(join(__dirname, '../../examples/ai-stack.yaml'), { clouds: ['aws'] });
  const stack = new AiStack(app, design.name, { design });
  Validations.of(app).addPlugins(new CfnGuardValidator({ controlTowerRulesEnabled: true }));
  let synthError: unknown;
  beforeAll(() => {
    try {
      app.synth();
    } catch (e) {
      synthError = e;
    }
  }, 300_000);

  test('no unacknowledged finding', () => {
    const file = join(outdir, 'validation-report.json');
    const report: Report = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : { pluginReports: [] };
    const findings = report.pluginReports.flatMap((p) => p.violations.flatMap((v) => v.violatingConstructs.map((c) => `${v.ruleName} at ${c.constructPath}`)));
    expect(findings).toEqual([]);
    expect(synthError).toBeUndefined();
  });

  test('every cfn-guard acknowledgement names a Control Tower rule and gives a specific reason', () => {
    const acks = stack.node.findAll().flatMap((c) =>
      c.node.metadata
        .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((m) => Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({ path: c.node.path, id, reason }))),
    ).filter((a) => a.id.startsWith(GUARD));
    expect(acks.length).toBeGreaterThan(20);
    for (const a of acks) {
      expect(a.id).toMatch(/^cdk-validator-cfnguard::[a-z0-9_]+_check$/);
      expect(a.reason.length).toBeGreaterThan(60);
    }
    // Acknowledged on the construct that has the finding, not on the stack or a parent.
    const byRule = (rule: string) => acks.filter((a) => a.id === GUARD + rule).map((a) => a.path.replace(/^support-ai\//, '')).sort();
    expect(byRule('lambda_function_url_auth_check')).toEqual(['Router/Function/FunctionUrl']);
    expect(byRule('alb_http_to_https_redirection_check')).toEqual(['Endpoint-llama-70b/LoadBalancer/Http', 'Endpoint-llama-8b/LoadBalancer/Http']);
    expect(byRule('cloudwatch_log_group_encrypted_check')).toEqual(['Budget/StopFunction/Logs', 'Endpoint-llama-70b/ServerLogs', 'Endpoint-llama-8b/ServerLogs', 'Router/Logs', 'VectorStore/Freshness/Logs', 'VpcFlowLogs']);
    expect(byRule('s3_bucket_object_lock_enabled_check')).toEqual(['AccessLogs', 'VectorStore/SourceBucket']);
    // Fixed in the constructs, so never acknowledged.
    for (const fixed of ['kms_create_grant_aws_service_check', 'ec2_launch_template_monitoring_enabled_check', 's3_lifecycle_policy_check', 's3_version_lifecycle_policy_check']) {
      expect(byRule(fixed)).toEqual([]);
    }
  });
});
