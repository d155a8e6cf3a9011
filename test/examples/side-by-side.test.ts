// Two designs that differ only in `name` deploy side by side: into one AWS account and region, one GCP
// project and one Azure subscription, with no physical name in common (a shared name would make the
// second `terraform apply` fail, or worse, a shared GCP network tag would let one design's firewall
// rules admit traffic to the other's VMs).
import { Template } from 'aws-cdk-lib/assertions';
import { Testing } from 'cdktf';
import { awsExample, azureExample, exampleDesign, gcpExample } from './synth-example';
import { withoutBuiltInTemplateValidation } from '../support/cdk-validation';

withoutBuiltInTemplateValidation();

const designs = () => [exampleDesign(), { ...exampleDesign(), name: 'support-ai-dev' }];

/** Terraform resource types whose `name` is scoped to a parent resource, not to the project or resource group. */
const CHILD_SCOPED = new Set([
  'azurerm_lb_backend_address_pool',
  'azurerm_lb_probe',
  'azurerm_lb_rule',
  'azurerm_network_security_rule',
  'azurerm_subnet',
  'azurerm_capacity_reservation',
  'google_compute_router_nat',
  // An IAM binding's `name` is the service it binds on, not a name of its own.
  'google_cloud_run_v2_service_iam_member',
  'google_cloud_run_v2_job_iam_member',
  // Named by Azure (`privatelink.<service>`), in the design's own resource group (`rg-<name>`).
  'azurerm_private_dns_zone',
  // Inside the design's own storage account, key vault or Azure OpenAI account (each named per design).
  'azapi_resource',
  'azurerm_key_vault_secret',
  'azurerm_cognitive_deployment',
  'azurerm_storage_container',
  'azurerm_storage_blob',
]);

/** Every physical name of a Terraform configuration: top-level names, name prefixes, account ids, VM name prefixes, network tags. */
function terraformNames(json: { resource: Record<string, Record<string, Record<string, unknown>>> }): string[] {
  const names: string[] = [];
  for (const [type, byId] of Object.entries(json.resource)) {
    for (const config of Object.values(byId)) {
      if (!CHILD_SCOPED.has(type) && typeof config.name === 'string') names.push(`${type}:${config.name}`);
      for (const key of ['name_prefix', 'account_id', 'base_instance_name']) if (typeof config[key] === 'string') names.push(`${type}.${key}:${config[key]}`);
      const linux = (config.os_profile as { linux_configuration?: { computer_name_prefix?: string } } | undefined)?.linux_configuration;
      if (linux?.computer_name_prefix) names.push(`computer_name_prefix:${linux.computer_name_prefix}`);
      if (type === 'google_compute_instance_template') for (const tag of config.tags as string[]) names.push(`network tag:${tag}`);
    }
  }
  return names;
}

function common(a: string[], b: string[]): string[] {
  const other = new Set(b);
  return a.filter((n) => other.has(n));
}

describe('two designs differing only in name share no physical name', () => {
  test('GCP: one project', () => {
    const [a, b] = designs().map((d) => terraformNames(JSON.parse(Testing.synth(gcpExample(d)))));
    expect(a.length).toBeGreaterThan(40);
    expect(common(a, b)).toEqual([]);
  });

  test('Azure: one subscription (and resource names distinct even within one resource group)', () => {
    const [a, b] = designs().map((d) => terraformNames(JSON.parse(Testing.synth(azureExample(d)))));
    expect(a.length).toBeGreaterThan(20);
    expect(common(a, b)).toEqual([]);
  });

  test('AWS: one account and region (names are CloudFormation-generated per stack; Name tags carry the design)', () => {
    const [a, b] = designs().map((d) => {
      const template = Template.fromStack(awsExample(d)).toJSON() as { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };
      const names: string[] = [];
      for (const r of Object.values(template.Resources)) {
        // A data source's name is scoped to its knowledge base, whose name carries the design's.
        if (r.Type === 'AWS::Bedrock::DataSource') continue;
        // Inline policy names are scoped to their role; display names are labels, not identifiers; metric
        // names are scoped to their namespace, which carries the design's name.
        for (const [key, value] of Object.entries(r.Properties ?? {})) {
          if (/Name$/.test(key) && !['PolicyName', 'DisplayName', 'MetricName'].includes(key) && typeof value === 'string') names.push(`${key}:${value}`);
        }
        // Tags are a list of { Key, Value } on most resources and a map on newer ones (Bedrock).
        const tags = r.Properties?.Tags;
        const nameTag = Array.isArray(tags) ? (tags as { Key: string; Value: unknown }[]).find((t) => t.Key === 'Name')?.Value : (tags as Record<string, unknown> | undefined)?.Name;
        if (nameTag !== undefined) names.push(`Name tag:${String(nameTag)}`);
      }
      return names;
    });
    expect(a.length).toBeGreaterThan(0);
    expect(common(a, b)).toEqual([]);
  });
});
