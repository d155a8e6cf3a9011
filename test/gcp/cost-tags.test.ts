import { ComputeInstanceTemplate } from '@cdktf/provider-google/lib/compute-instance-template';
import { ComputeNetwork } from '@cdktf/provider-google/lib/compute-network';
import { StorageBucket } from '@cdktf/provider-google/lib/storage-bucket';
import { App, Testing } from 'cdktf';
import { AiStack } from '../../lib/gcp';
import { bareDesign } from '../fixtures/designs';

type TfJson = { resource: Record<string, Record<string, { labels?: Record<string, string> }>>; provider: { google: { default_labels: Record<string, string>; region: string; project: string }[] }; output?: Record<string, { value: unknown }> };

function stackWithResources(costCenter = 'cc-1'): AiStack {
  const design = bareDesign();
  design.tags.costCenter = costCenter;
  const stack = new AiStack(Testing.app(), 'labelled', { design });
  const network = new ComputeNetwork(stack, 'net', { name: 'net', autoCreateSubnetworks: false });
  new StorageBucket(stack, 'bucket', { name: 'b', location: 'US', uniformBucketLevelAccess: true, labels: { purpose: 'docs' } });
  new ComputeInstanceTemplate(stack, 'tpl', { machineType: 'g2-standard-4', disk: [{ sourceImage: 'debian-cloud/debian-12' }], networkInterface: [{ network: network.id }] });
  return stack;
}

const synth = (stack: AiStack) => JSON.parse(Testing.synth(stack)) as TfJson;

describe('gcp cost labels', () => {
  test('provider default_labels and every resource that takes labels carry the cost labels', () => {
    const json = synth(stackWithResources());
    const expected = { team: 'ml-platform', 'cost-center': 'cc-1', environment: 'test', application: 'demo' };
    expect(json.provider.google[0].default_labels).toEqual(expected);
    expect(json.provider.google[0].region).toBe('us-central1');
    expect(json.resource.google_storage_bucket.bucket.labels).toEqual({ ...expected, purpose: 'docs' });
    expect(json.resource.google_compute_instance_template.tpl.labels).toEqual(expected);
    // google_compute_network takes no labels: nothing is set on it.
    expect(json.resource.google_compute_network.net.labels).toBeUndefined();
  });

  test('values are sanitized to label rules and the originals kept as an output', () => {
    const json = synth(stackWithResources('CC 4711.A'));
    expect(json.provider.google[0].default_labels['cost-center']).toBe('cc_4711_a');
    expect(json.output?.cost_label_original_values.value).toEqual({ 'cost-center': 'CC 4711.A' });
  });

  test('project comes from a variable unless the design names it', () => {
    expect(synth(stackWithResources()).provider.google[0].project).toBe('${var.gcp_project}');
    const design = bareDesign();
    design.accounts = { gcp: 'my-project-1' };
    expect(synth(new AiStack(Testing.app(), 's', { design })).provider.google[0].project).toBe('my-project-1');
  });

  test('a resource whose labels are overridden away fails synth, naming it', () => {
    const stack = stackWithResources();
    const bucket = stack.node.findChild('bucket') as StorageBucket;
    bucket.addOverride('labels', undefined);
    expect(() => Testing.synth(stack)).toThrow(/labelled\/bucket \(google_storage_bucket\) is missing cost labels team, cost-center, environment, application/);
  });

  test('an invalid design throws before anything is created', () => {
    const design = bareDesign();
    design.tags.extra = { Owner: 'x' };
    const app = new App();
    expect(() => new AiStack(app, 'bad', { design })).toThrow(/tags\.extra\.Owner: GCP label keys/);
  });
});
