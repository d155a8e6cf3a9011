import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readmeSnippets } from './package/readme-snippets';

const ROOT = join(__dirname, '..');

/** A snippet with its package imports pointed at the sources. */
function fromSources(code: string): string {
  return code.replace(/from 'ai-stack-constructs\/(aws|gcp|azure)'/g, (_, cloud) => `from '${join(ROOT, 'lib', cloud)}'`);
}

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;
type TfJson = { resource?: Record<string, Record<string, Record<string, unknown>>>; provider?: Record<string, Record<string, unknown>[]> };

/** Runs a snippet in its own directory; CDK writes to CDK_OUTDIR, cdktf to CDKTF_OUTDIR. */
function runSnippet(i: number, code: string): string {
  // Inside the repository (git-ignored) so the snippet resolves the project's node_modules.
  mkdirSync(join(ROOT, '.test-tmp'), { recursive: true });
  const dir = mkdtempSync(join(ROOT, '.test-tmp', 'readme-'));
  const file = join(dir, `snippet-${i}.ts`);
  writeFileSync(file, fromSources(code));
  const out = join(dir, 'out');
  const result = spawnSync(process.execPath, ['--require', 'tsx/cjs', file], { cwd: dir, encoding: 'utf8', env: { ...process.env, CDK_OUTDIR: out, CDKTF_OUTDIR: out } });
  expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
  return out;
}

const COST_TAGS = { team: 'ml', 'cost-center': 'cc-1', environment: 'prod', application: 'chat' };

describe('README quick start', () => {
  const all = readmeSnippets();
  const snippets = all.map((s) => s.code);

  test('has one snippet per cloud, each passing the user\'s own network', () => {
    expect(all.map((s) => s.cloud)).toEqual(['aws', 'gcp', 'azure']);
    expect(snippets[0]).toMatch(/^\s+vpc,$/m);
    expect(snippets[1]).toMatch(/^\s+network: \{$/m);
    expect(snippets[2]).toMatch(/^\s+subnetId: '/m);
  });

  test('the AWS snippet synthesizes one GPU fleet in the user\'s VPC, with the cost tags on every taggable resource', () => {
    const out = runSnippet(0, snippets[0]);
    const template = JSON.parse(readFileSync(join(out, 'TeamInference.template.json'), 'utf8')) as { Resources: Resources };
    const types = Object.values(template.Resources).map((r) => r.Type);
    const count = (t: string) => types.filter((x) => x === t).length;
    expect(count('AWS::AutoScaling::AutoScalingGroup')).toBe(1);
    expect(count('AWS::EC2::LaunchTemplate')).toBe(1);
    expect(count('AWS::EC2::CapacityReservation')).toBe(1);
    expect(count('AWS::ElasticLoadBalancingV2::LoadBalancer')).toBe(1);
    // Only the snippet's own VPC: the endpoint built none of its own.
    expect(count('AWS::EC2::VPC')).toBe(1);
    expect(count('AWS::EC2::NatGateway')).toBe(2);
    const [vpcId] = Object.entries(template.Resources).find(([, r]) => r.Type === 'AWS::EC2::VPC')!;
    expect(vpcId).toMatch(/^Vpc[0-9A-F]{8}$/);
    const group = Object.values(template.Resources).find((r) => r.Type === 'AWS::AutoScaling::AutoScalingGroup')!;
    expect(group.Properties).toMatchObject({ MinSize: '2', MaxSize: '10' });
    const policy = (group.Properties as { MixedInstancesPolicy: { InstancesDistribution: Record<string, unknown> } }).MixedInstancesPolicy.InstancesDistribution;
    expect(policy).toMatchObject({ OnDemandPercentageAboveBaseCapacity: 30 });
    for (const type of ['AWS::EC2::VPC', 'AWS::AutoScaling::AutoScalingGroup', 'AWS::ElasticLoadBalancingV2::LoadBalancer', 'AWS::IAM::Role']) {
      const resource = Object.values(template.Resources).find((r) => r.Type === type)!;
      const tags = (resource.Properties?.Tags ?? []) as { Key: string; Value: string }[];
      for (const [key, value] of Object.entries(COST_TAGS)) expect({ type, key, value: tags.find((t) => t.Key === key)?.Value }).toEqual({ type, key, value });
    }
  });

  test('the GCP snippet synthesizes the fleet in the given network, labelled, and creates no network', () => {
    const out = runSnippet(1, snippets[1]);
    const json = JSON.parse(readFileSync(join(out, 'stacks/team-inference/cdk.tf.json'), 'utf8')) as TfJson;
    const resources = json.resource ?? {};
    expect(Object.keys(resources.google_compute_region_instance_group_manager ?? {}).length).toBeGreaterThanOrEqual(2);
    expect(resources.google_compute_region_autoscaler).toBeDefined();
    expect(resources.google_compute_forwarding_rule).toBeDefined();
    for (const made of ['google_compute_network', 'google_compute_subnetwork', 'google_compute_router', 'google_compute_router_nat']) expect(resources[made]).toBeUndefined();
    const templates = Object.values(resources.google_compute_instance_template ?? {});
    expect(templates.length).toBeGreaterThan(0);
    for (const t of templates) {
      expect(JSON.stringify(t.network_interface)).toContain('projects/my-project/regions/us-central1/subnetworks/prod-us-central1');
      expect(t.labels).toMatchObject({ team: 'ml', 'cost-center': 'cc-1', environment: 'prod', application: 'chat' });
    }
  });

  test('the Azure snippet synthesizes the scale sets in the given subnet, tagged, and creates no virtual network', () => {
    const out = runSnippet(2, snippets[2]);
    const json = JSON.parse(readFileSync(join(out, 'stacks/team-inference/cdk.tf.json'), 'utf8')) as TfJson;
    const resources = json.resource ?? {};
    const sets = Object.values(resources.azurerm_orchestrated_virtual_machine_scale_set ?? {});
    expect(sets.length).toBeGreaterThanOrEqual(1);
    expect(resources.azurerm_capacity_reservation_group).toBeDefined();
    expect(resources.azurerm_lb).toBeDefined();
    expect(resources.azurerm_virtual_network).toBeUndefined();
    expect(resources.azurerm_subnet).toBeUndefined();
    for (const set of sets) {
      expect(JSON.stringify(set.network_interface)).toContain('/virtualNetworks/vnet-prod/subnets/inference');
      expect(set.tags).toMatchObject({ team: 'ml', 'cost-center': 'cc-1', environment: 'prod', application: 'chat' });
    }
    expect(Object.values(resources.azurerm_resource_group ?? {})[0]?.tags).toMatchObject({ team: 'ml', environment: 'prod' });
  });
});
