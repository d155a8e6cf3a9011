import { CfnResource, TagManager } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CfnCapacityReservation } from 'aws-cdk-lib/aws-ec2';
import { TerraformResource, Testing } from 'cdktf';
import { AI_STACK_RESOURCE_TYPES } from '../../lib/cli/validator-warm-up';
import { hasMapAttribute } from '../../lib/common/tf-map-attribute';
import { estimateMonthlyCost, planFleet, renderTags, resolveGpuEndpoint, gcpLabels, type Cloud } from '../../lib/design';
import { unresolvedReferences as azureUnresolved } from '../azure/helpers';
import { unresolvedReferences as gcpUnresolved } from '../gcp/helpers';
import { awsExample, azureExample, exampleDesign, gcpExample, normalize } from './synth-example';
import { withoutBuiltInTemplateValidation } from '../support/cdk-validation';

withoutBuiltInTemplateValidation();

type TfJson = { resource: Record<string, Record<string, Record<string, any>>> };

const design = exampleDesign();
const estimate = estimateMonthlyCost(design);
const estimated = (cloud: Cloud, name: string) => estimate.clouds.find((c) => c.cloud === cloud)!.endpoints.find((e) => e.name === name)!;
const plan = (cloud: Cloud, name: string) => planFleet(resolveGpuEndpoint(design.endpoints!.find((e) => e.name === name)!, cloud));

describe('example design on AWS', () => {
  const stack = awsExample();
  const template = Template.fromStack(stack);
  const json = template.toJSON() as { Resources: Record<string, { Type: string; Properties: any }> };

  test('matches the snapshot', () => {
    expect(normalize(json)).toMatchSnapshot();
  });

  test("has no resource type that the validator thread's warm-up leaves out (lib/cli/validator-warm-up.ts)", () => {
    // A missing type costs `ai-stack synth` a second start of CDK's validation engine: add it to the list.
    const types = [...new Set(Object.values(json.Resources).map((r) => r.Type))].sort();
    expect(types.length).toBeGreaterThan(40);
    expect(types.filter((t) => !AI_STACK_RESOURCE_TYPES.includes(t))).toEqual([]);
  });

  test('every taggable resource carries the cost tags', () => {
    const expected = renderTags(design.tags);
    const resources = stack.node.findAll().filter((c): c is CfnResource => c instanceof CfnResource);
    let checked = 0;
    for (const r of resources) {
      const props = json.Resources[stack.getLogicalId(r)].Properties ?? {};
      let tags: { Key: string; Value: string }[] | undefined;
      if (TagManager.isTaggable(r)) tags = props.Tags;
      else if (r instanceof CfnCapacityReservation) tags = props.TagSpecifications[0].Tags;
      else continue;
      const present = Object.fromEntries((tags ?? []).map((t) => [t.Key, t.Value]));
      for (const [k, v] of Object.entries(expected)) expect(`${r.node.path} ${k}=${present[k]}`).toBe(`${r.node.path} ${k}=${v}`);
      checked++;
    }
    expect(checked).toBeGreaterThan(30);
  });

  test.each(design.endpoints!.map((e) => e.name))('endpoint %s: estimate, plan and Auto Scaling group agree', (name) => {
    const p = plan('aws', name);
    expect(estimated('aws', name).replicas).toEqual(p.expected);
    const asg = stack.endpoints[name].autoScalingGroup.node.defaultChild as CfnResource;
    const props = json.Resources[stack.getLogicalId(asg)].Properties;
    const dist = props.MixedInstancesPolicy.InstancesDistribution;
    expect([Number(props.MinSize), Number(props.MaxSize)]).toEqual([p.min, p.max]);
    expect(dist.OnDemandBaseCapacity).toBe(p.reserved + p.onDemandBase);
    expect(dist.OnDemandPercentageAboveBaseCapacity).toBe(100 - p.spotPercentAboveBase);
    expect(dist.SpotAllocationStrategy).toBe('price-capacity-optimized');
    const reserved = stack.endpoints[name].capacityReservations.map((r) => json.Resources[stack.getLogicalId(r)].Properties.InstanceCount as number);
    expect(reserved.reduce((a, b) => a + b, 0)).toBe(estimated('aws', name).replicas.reserved);
    expect(props.MixedInstancesPolicy.LaunchTemplate.Overrides[0].InstanceType).toBe(estimated('aws', name).instanceType);
  });

  test('GPU nodes: IMDSv2, encrypted root volumes, no public IPs, internal load balancers', () => {
    template.allResourcesProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: {
        MetadataOptions: { HttpTokens: 'required' },
        BlockDeviceMappings: [{ Ebs: { Encrypted: true } }],
      },
    });
    for (const lt of Object.values(template.findResources('AWS::EC2::LaunchTemplate'))) {
      expect(JSON.stringify(lt)).not.toMatch(/AssociatePublicIpAddress":true/);
    }
    template.allResourcesProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { Scheme: 'internal' });
    template.resourceCountIs('AWS::AutoScaling::AutoScalingGroup', 2);
  });
});

function tfChecks(cloud: 'gcp' | 'azure', build: () => { json: TfJson; resources: TerraformResource[] }, unresolved: (json: any) => string[]) {
  const { json, resources } = build();

  test('matches the snapshot', () => {
    expect(normalize(json)).toMatchSnapshot();
  });

  test('every ${…} reference resolves to a declared resource, data source or variable', () => {
    expect(unresolved(json)).toEqual([]);
  });

  test(`every resource that takes ${cloud === 'gcp' ? 'labels' : 'tags'} carries the cost ${cloud === 'gcp' ? 'labels' : 'tags'}`, () => {
    const attribute = cloud === 'gcp' ? 'labels' : 'tags';
    const expected = cloud === 'gcp' ? gcpLabels(design.tags).labels : renderTags(design.tags);
    let checked = 0;
    for (const r of resources.filter((r) => hasMapAttribute(r, attribute))) {
      const config = json.resource[r.terraformResourceType][r.friendlyUniqueId];
      // A notification channel's `labels` are its settings (the address): its cost labels are `user_labels`.
      const where = r.terraformResourceType === 'google_monitoring_notification_channel' ? 'user_labels' : attribute;
      for (const [k, v] of Object.entries(expected)) expect(`${r.node.path} ${k}=${config[where]?.[k]}`).toBe(`${r.node.path} ${k}=${v}`);
      checked++;
    }
    expect(checked).toBeGreaterThan(5);
  });
}

describe('example design on GCP', () => {
  const stack = gcpExample();
  const json = JSON.parse(Testing.synth(stack)) as TfJson;
  tfChecks('gcp', () => ({ json, resources: stack.node.findAll().filter((c): c is TerraformResource => c instanceof TerraformResource) }), gcpUnresolved);

  test.each(design.endpoints!.map((e) => e.name))('endpoint %s: estimate, plan and autoscalers agree', (name) => {
    const p = plan('gcp', name);
    const endpoint = stack.endpoints[name];
    expect(estimated('gcp', name).replicas).toEqual(p.expected);
    const bounds = (g: { autoscaler?: TerraformResource } | undefined) => {
      if (!g?.autoscaler) return { min: 0, max: 0 };
      const policy = json.resource.google_compute_region_autoscaler[g.autoscaler.friendlyUniqueId].autoscaling_policy;
      return { min: policy.min_replicas, max: policy.max_replicas };
    };
    const byClass = (c: string) => bounds(endpoint.groups.find((g) => g.capacity === c));
    expect({ reserved: byClass('reserved'), onDemand: byClass('on-demand'), spot: byClass('spot') }).toEqual({
      reserved: { min: p.floor.reserved, max: p.atMax.reserved },
      onDemand: { min: p.floor.onDemand, max: p.atMax.onDemand },
      spot: { min: p.floor.spot, max: p.atMax.spot },
    });
    if (p.reserved > 0) expect(json.resource.google_compute_reservation[endpoint.reservation!.friendlyUniqueId].specific_reservation.count).toBe(estimated('gcp', name).replicas.reserved);
    const spot = endpoint.spotTemplate && json.resource.google_compute_instance_template[endpoint.spotTemplate.friendlyUniqueId];
    if (p.atMax.spot > 0) expect(spot?.scheduling.provisioning_model).toBe('SPOT');
    expect(json.resource.google_compute_instance_template[endpoint.groups[0].template.friendlyUniqueId].machine_type).toBe(estimated('gcp', name).instanceType);
  });

  test('GPU nodes have no external IP and terminate on host maintenance', () => {
    for (const t of Object.values(json.resource.google_compute_instance_template)) {
      expect(t.network_interface.every((n: { access_config?: unknown }) => n.access_config === undefined)).toBe(true);
      expect(t.scheduling.on_host_maintenance).toBe('TERMINATE');
      expect(t.guest_accelerator[0].count).toBeGreaterThan(0);
    }
  });
});

describe('example design on Azure', () => {
  const stack = azureExample();
  const json = JSON.parse(Testing.synth(stack)) as TfJson;
  tfChecks('azure', () => ({ json, resources: stack.node.findAll().filter((c): c is TerraformResource => c instanceof TerraformResource) }), azureUnresolved);

  test.each(design.endpoints!.map((e) => e.name))('endpoint %s: estimate, plan and scale sets agree', (name) => {
    const p = plan('azure', name);
    const endpoint = stack.endpoints[name];
    expect(estimated('azure', name).replicas).toEqual(p.expected);
    const sets = json.resource.azurerm_orchestrated_virtual_machine_scale_set;
    const reservedSet = sets[endpoint.reservedScaleSet!.friendlyUniqueId];
    expect(reservedSet.instances).toBe(estimated('azure', name).replicas.reserved);
    expect(json.resource.azurerm_capacity_reservation[endpoint.capacityReservation!.friendlyUniqueId].sku.capacity).toBe(p.reserved);
    const spotSet = sets[endpoint.spotScaleSet!.friendlyUniqueId];
    expect(spotSet.priority).toBe('Spot');
    expect(spotSet.priority_mix).toEqual({ base_regular_count: p.onDemandBase, regular_percentage_above_base: 100 - p.spotPercentAboveBase });
    const profile = json.resource.azurerm_monitor_autoscale_setting[endpoint.autoscaleSetting!.friendlyUniqueId].profile[0];
    expect(profile.capacity.minimum).toBe(p.min - p.reserved);
    expect(profile.capacity.maximum).toBe(p.max - p.reserved);
  });

  test('no public IPs on GPU nodes', () => {
    for (const set of Object.values(json.resource.azurerm_orchestrated_virtual_machine_scale_set)) {
      expect(JSON.stringify(set.network_interface)).not.toMatch(/public_ip_address/);
    }
  });
});
