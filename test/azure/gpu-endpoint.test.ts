import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { transformSync } from '@swc/core';
import { spawnSync } from 'node:child_process';
import { TerraformOutput, TerraformStack, Testing, type App, type TerraformResource } from 'cdktf';
import { parse as parseYaml } from 'yaml';
import { GpuEndpoint, InstanceMixAllocationStrategy, NVIDIA_DRIVER_EXTENSION, type GpuEndpointProps } from '../../lib/azure/gpu-endpoint';
import { CPU_SCALE_IN_PERCENT, CPU_SCALE_OUT_PERCENT, gpuScaleInThreshold } from '../../lib/azure/gpu-endpoint/autoscale';
import { GPU_METRIC_NAME, GPU_METRIC_NAMESPACE } from '../../lib/azure/gpu-endpoint/cloud-init';
import { priorityMixSplit } from '../../lib/azure/gpu-endpoint/counts';
import { NO_LOGIN_KEY_LABEL, NO_LOGIN_SSH_PUBLIC_KEY } from '../../lib/azure/gpu-endpoint/no-login-key';
import { AUTOSCALE_TIME_ZONES, cronToRecurrence, mappedWindowsZones, windowsTimeZone } from '../../lib/azure/gpu-endpoint/schedule';
import { DesignError, estimateMonthlyCost, planFleet, Problems, resolveGpuEndpoint } from '../../lib/design';
import {
  decodeCustomData,
  expressionsIn,
  makeStack,
  onlyResource,
  referencesIn,
  resourceNamed,
  resourcesOf,
  synthJson,
  unresolvedReferences,
  type TfJson,
} from './helpers';

const VMSS = 'azurerm_orchestrated_virtual_machine_scale_set';
const NETWORK_TYPES = [
  'azurerm_virtual_network',
  'azurerm_subnet',
  'azurerm_nat_gateway',
  'azurerm_public_ip',
  'azurerm_nat_gateway_public_ip_association',
  'azurerm_subnet_nat_gateway_association',
  'azurerm_subnet_network_security_group_association',
];

type Design = Omit<GpuEndpointProps, 'resourceGroupName' | 'location'>;

/** A100 80 GB: 2 reserved, 1 on-demand base, 70% spot above, 3..10 replicas, nights and weekends off-peak. */
const BASE: Design = {
  name: 'llm',
  accelerator: 'nvidia-a100-80gb',
  server: { image: 'vllm/vllm-openai:v0.6.3', model: 'meta-llama/Llama-3.1-8B-Instruct' },
  capacity: { min: 3, max: 10 },
  purchase: { reserved: 2, onDemandBase: 1, spotPercentAboveBase: 70 },
  scaling: { targetGpuUtilization: 70, offPeak: { start: '0 20 * * 1-5', end: '0 7 * * 1-5', min: 1, timeZone: 'Europe/Berlin' } },
};

interface Built {
  readonly stack: TerraformStack;
  readonly endpoint: GpuEndpoint;
  readonly json: TfJson;
}

function build(overrides: Partial<GpuEndpointProps> = {}): Built {
  const { stack, resourceGroup } = makeStack();
  const endpoint = new GpuEndpoint(stack, 'Llm', { ...BASE, resourceGroupName: resourceGroup.name, location: resourceGroup.location, ...overrides });
  new TerraformOutput(stack, 'url', { value: endpoint.url });
  return { stack, endpoint, json: synthJson(stack) };
}

function scaleSets(json: TfJson) {
  return { reserved: resourceNamed(json, VMSS, 'vmss-llm-reserved'), burst: Object.values(resourcesOf(json, VMSS)).find((r) => r.name !== 'vmss-llm-reserved')! };
}

/** `${type.name.attr}`: how the Terraform JSON refers to an attribute of a construct's resource. */
function ref(resource: TerraformResource, attribute = 'id'): string {
  return `\${${resource.terraformResourceType}.${resource.friendlyUniqueId}.${attribute}}`;
}

function errorOf(fn: () => unknown): DesignError {
  try {
    fn();
  } catch (e) {
    if (e instanceof DesignError) return e;
    throw e;
  }
  throw new Error('expected a DesignError');
}

describe('GpuEndpoint (Azure): resources of the default purchase mix', () => {
  const { endpoint, json } = build();
  const { reserved, burst } = scaleSets(json);
  const autoscale = onlyResource(json, 'azurerm_monitor_autoscale_setting') as { profile: Array<Record<string, any>> };

  test('a capacity reservation of the primary size for the reserved replicas', () => {
    const group = onlyResource(json, 'azurerm_capacity_reservation_group');
    const reservation = onlyResource(json, 'azurerm_capacity_reservation');
    expect(reservation.sku).toEqual({ name: 'Standard_NC24ads_A100_v4', capacity: 2 });
    expect(reservation.capacity_reservation_group_id).toBe(ref(endpoint.capacityReservationGroup!));
    expect(group.name).toBe('crg-llm');
  });

  test('the Regular scale set runs the reserved baseline on the reservation', () => {
    expect(reserved).toMatchObject({
      priority: 'Regular',
      instances: 2,
      sku_name: 'Standard_NC24ads_A100_v4',
      platform_fault_domain_count: 1,
      single_placement_group: false,
      capacity_reservation_group_id: ref(endpoint.capacityReservationGroup!),
    });
    expect(reserved.depends_on).toContain(`azurerm_capacity_reservation.${endpoint.capacityReservation!.friendlyUniqueId}`);
    expect(reserved).not.toHaveProperty('priority_mix');
    expect(reserved).not.toHaveProperty('eviction_policy');
  });

  test('the Spot scale set carries the on-demand base and the spot share through Spot Priority Mix', () => {
    expect(burst).toMatchObject({
      name: 'vmss-llm-spot',
      priority: 'Spot',
      eviction_policy: 'Delete',
      max_bid_price: -1,
      priority_mix: { base_regular_count: 1, regular_percentage_above_base: 30 },
      sku_name: 'Standard_NC24ads_A100_v4',
      instances: 1,
      platform_fault_domain_count: 1,
      lifecycle: { ignore_changes: ['instances'] },
    });
    expect(burst).not.toHaveProperty('capacity_reservation_group_id');
  });

  test('no public IP on any replica NIC; the only public IP is the NAT gateway egress', () => {
    for (const set of [reserved, burst]) {
      const nics = set.network_interface as Array<{ ip_configuration: Array<Record<string, unknown>>; network_security_group_id: string }>;
      expect(nics).toHaveLength(1);
      for (const ipc of nics[0].ip_configuration) expect(ipc).not.toHaveProperty('public_ip_address');
      expect(nics[0].network_security_group_id).toBe(ref(endpoint.securityGroup));
    }
    const pips = resourcesOf(json, 'azurerm_public_ip');
    expect(Object.keys(pips)).toHaveLength(1);
    const [pipName] = Object.keys(pips);
    const users = JSON.stringify(json.resource).split(`azurerm_public_ip.${pipName}.`).length - 1;
    expect(onlyResource(json, 'azurerm_nat_gateway_public_ip_association').public_ip_address_id).toBe(`\${azurerm_public_ip.${pipName}.id}`);
    expect(users).toBe(1);
    expect(onlyResource(json, 'azurerm_subnet').default_outbound_access_enabled).toBe(false);
  });

  test('the NVIDIA driver extension and the application health extension on both scale sets', () => {
    for (const set of [reserved, burst]) {
      const extensions = set.extension as Array<Record<string, unknown>>;
      expect(extensions).toContainEqual(
        expect.objectContaining({ publisher: 'Microsoft.HpcCompute', type: 'NvidiaGpuDriverLinux', type_handler_version: NVIDIA_DRIVER_EXTENSION.typeHandlerVersion, auto_upgrade_minor_version_enabled: true }),
      );
      const health = extensions.find((e) => e.type === 'ApplicationHealthLinux')!;
      expect(JSON.parse(health.settings as string)).toMatchObject({ protocol: 'http', port: 8000, requestPath: '/health' });
      expect(set.automatic_instance_repair).toEqual({ enabled: true, grace_period: 'PT60M', action: 'Replace' });
    }
  });

  test('secure defaults: host encryption, no password, managed boot diagnostics, user-assigned identity', () => {
    for (const set of [reserved, burst]) {
      expect(set.encryption_at_host_enabled).toBe(true);
      expect(set.boot_diagnostics).toEqual({});
      expect(set.identity).toEqual({ type: 'UserAssigned', identity_ids: [ref(endpoint.identity)] });
      const linux = (set.os_profile as { linux_configuration: Record<string, unknown> }).linux_configuration;
      expect(linux.disable_password_authentication).toBe(true);
      expect(linux).not.toHaveProperty('admin_password');
      expect(linux.admin_ssh_key).toEqual([{ username: 'aistack', public_key: NO_LOGIN_SSH_PUBLIC_KEY }]);
      expect(set.source_image_reference).toEqual({ publisher: 'Canonical', offer: '0001-com-ubuntu-server-jammy', sku: '22_04-lts-gen2', version: 'latest' });
      expect(set.os_disk).toEqual({ caching: 'ReadWrite', storage_account_type: 'Premium_LRS', disk_size_gb: 200 });
    }
  });

  test('the identity may publish metrics on the Spot scale set and nothing else', () => {
    const assignments = resourcesOf(json, 'azurerm_role_assignment');
    expect(Object.values(assignments)).toEqual([
      expect.objectContaining({
        scope: ref(endpoint.spotScaleSet),
        role_definition_name: 'Monitoring Metrics Publisher',
        principal_id: ref(endpoint.identity, 'principal_id'),
        principal_type: 'ServicePrincipal',
      }),
    ]);
  });

  test('the security group admits the server port from the VNet and the LB probe, and denies everything else', () => {
    const rules = Object.values(resourcesOf(json, 'azurerm_network_security_rule'));
    const allows = rules.filter((r) => r.access === 'Allow');
    expect(allows.map((r) => [r.source_address_prefix, r.destination_port_range, r.protocol]).sort()).toEqual([
      ['AzureLoadBalancer', '8000', 'Tcp'],
      ['VirtualNetwork', '8000', 'Tcp'],
    ]);
    expect(rules).toContainEqual(expect.objectContaining({ access: 'Deny', priority: 4096, source_address_prefix: '*', destination_port_range: '*', direction: 'Inbound' }));
    expect(rules.some((r) => r.destination_port_range === '22')).toBe(false);
    expect(onlyResource(json, 'azurerm_subnet_network_security_group_association').network_security_group_id).toBe(ref(endpoint.securityGroup));
  });

  test('custom_data is a cloud-config that installs Docker and the NVIDIA toolkit and runs the server', () => {
    const cloudConfig = decodeCustomData(burst);
    expect(decodeCustomData(reserved)).toBe(cloudConfig);
    expect(cloudConfig.startsWith('#cloud-config\n')).toBe(true);
    const doc = parseYaml(cloudConfig) as { write_files: Array<{ path: string; content: string }>; runcmd: string[][] };
    const files = Object.fromEntries(doc.write_files.map((f) => [f.path, f.content]));
    const bootstrap = files['/usr/local/sbin/ai-stack-bootstrap'];
    expect(bootstrap).toContain('docker.io');
    expect(bootstrap).toContain('apt_get install -y nvidia-container-toolkit');
    expect(bootstrap).toContain('nvidia-ctk runtime configure --runtime=docker');
    expect(bootstrap).toContain(
      "docker run -d --name model-server --restart unless-stopped --gpus all --shm-size=16g -p 8000:8000 --env-file /etc/ai-stack/server.env 'vllm/vllm-openai:v0.6.3' --model 'meta-llama/Llama-3.1-8B-Instruct'",
    );
    // The scripts are valid bash.
    for (const script of ['/usr/local/sbin/ai-stack-bootstrap', '/usr/local/sbin/ai-stack-gpu-metrics']) {
      const check = spawnSync('bash', ['-n'], { input: files[script], encoding: 'utf8' });
      expect({ script, status: check.status, stderr: check.stderr }).toEqual({ script, status: 0, stderr: '' });
    }
    // GPU utilization goes to the custom metric the autoscale rules read, on the Spot scale set.
    const metrics = files['/usr/local/sbin/ai-stack-gpu-metrics'];
    expect(metrics).toContain('virtualMachineScaleSets/vmss-llm-spot');
    expect(metrics).toContain(`metric: "${GPU_METRIC_NAME}", namespace: "${GPU_METRIC_NAMESPACE}"`);
    const runcmd = doc.runcmd.map((c) => c[2]);
    expect(runcmd).toEqual(expect.arrayContaining(['systemctl enable --now --no-block ai-stack-bootstrap.service', 'systemctl enable --now ai-stack-gpu-metrics.timer', 'systemctl mask ssh.service']));
  });

  test('autoscale targets the Spot scale set with the plan\u2019s bounds', () => {
    expect(onlyResource(json, 'azurerm_monitor_autoscale_setting').target_resource_id).toBe(ref(endpoint.spotScaleSet));
    const [normal] = autoscale.profile;
    expect(normal.name).toBe('default');
    // 3..10 replicas, 2 of them reserved: the Spot scale set scales 1..8.
    expect(normal.capacity).toEqual({ minimum: 1, maximum: 8, default: 1 });
    expect(normal).not.toHaveProperty('recurrence');
  });

  test('rules scale on GPU utilization (custom metric) and host CPU', () => {
    const rules = autoscale.profile[0].rule as Array<{ metric_trigger: Record<string, unknown>; scale_action: Record<string, unknown> }>;
    const summary = rules.map((r) => [r.metric_trigger.metric_name, r.metric_trigger.metric_namespace, r.metric_trigger.operator, r.metric_trigger.threshold, r.scale_action.direction]);
    expect(summary).toEqual([
      [GPU_METRIC_NAME, GPU_METRIC_NAMESPACE, 'GreaterThan', 70, 'Increase'],
      [GPU_METRIC_NAME, GPU_METRIC_NAMESPACE, 'LessThan', gpuScaleInThreshold(70), 'Decrease'],
      ['Percentage CPU', 'microsoft.compute/virtualmachinescalesets', 'GreaterThan', CPU_SCALE_OUT_PERCENT, 'Increase'],
      ['Percentage CPU', 'microsoft.compute/virtualmachinescalesets', 'LessThan', CPU_SCALE_IN_PERCENT, 'Decrease'],
    ]);
    for (const r of rules) expect(r.metric_trigger.metric_resource_id).toBe(ref(endpoint.spotScaleSet));
  });

  test('off-peak: a recurring profile from the start with the off-peak minimum, and one from the end with the normal minimum', () => {
    const [, offPeak, peak] = autoscale.profile;
    // Off-peak minimum 1 replica: the reserved scale set alone covers it, so the Spot set may go to 0.
    expect(offPeak).toMatchObject({
      name: 'off-peak',
      capacity: { minimum: 0, maximum: 8, default: 0 },
      recurrence: { timezone: 'W. Europe Standard Time', days: ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday'], hours: [20], minutes: [0] },
    });
    expect(peak).toMatchObject({
      name: 'peak',
      capacity: { minimum: 1, maximum: 8, default: 1 },
      recurrence: { timezone: 'W. Europe Standard Time', days: ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday'], hours: [7], minutes: [0] },
    });
  });

  test('an internal Standard load balancer with an HTTP probe on the health path and a rule on the server port', () => {
    const lb = onlyResource(json, 'azurerm_lb') as { sku: string; frontend_ip_configuration: Array<Record<string, unknown>> };
    expect(lb.sku).toBe('Standard');
    expect(lb.frontend_ip_configuration).toEqual([{ name: 'frontend', subnet_id: ref(endpoint.network!.subnet), private_ip_address_allocation: 'Dynamic' }]);
    expect(onlyResource(json, 'azurerm_lb_probe')).toMatchObject({ protocol: 'Http', port: 8000, request_path: '/health' });
    expect(onlyResource(json, 'azurerm_lb_rule')).toMatchObject({
      protocol: 'Tcp',
      frontend_port: 8000,
      backend_port: 8000,
      frontend_ip_configuration_name: 'frontend',
      backend_address_pool_ids: [ref(endpoint.backendPool)],
      probe_id: ref(endpoint.probe),
    });
    for (const set of [reserved, burst]) {
      const ipc = (set.network_interface as Array<{ ip_configuration: Array<Record<string, unknown>> }>)[0].ip_configuration[0];
      expect(ipc.load_balancer_backend_address_pool_ids).toEqual([ref(endpoint.backendPool)]);
      expect(ipc.subnet_id).toBe(ref(endpoint.network!.subnet));
    }
    expect((json.output as Record<string, { value: string }>).url.value).toBe(`http://${ref(endpoint.loadBalancer, 'private_ip_address')}:8000`);
  });

  test('every ${...} reference resolves to a declared resource', () => {
    expect(unresolvedReferences(json)).toEqual([]);
  });

  test('synth is deterministic', () => {
    expect(JSON.stringify(build().json)).toBe(JSON.stringify(json));
  });
});

describe('GpuEndpoint (Azure): the estimate and the resources agree', () => {
  const designs: Array<[string, Partial<Design>]> = [
    ['reserved + base + spot', {}],
    ['no reservation, all spot above min', { purchase: { spotPercentAboveBase: 100 }, capacity: { min: 0, max: 6 } }],
    ['odd counts', { purchase: { reserved: 1, onDemandBase: 2, spotPercentAboveBase: 55 }, capacity: { min: 4, max: 13 } }],
    ['no spot', { purchase: { reserved: 1, onDemandBase: 0, spotPercentAboveBase: 0 }, capacity: { min: 2, max: 5 } }],
    ['reserved above min', { purchase: { reserved: 4, onDemandBase: 0, spotPercentAboveBase: 50 }, capacity: { min: 2, max: 9 } }],
  ];

  test.each(designs)('%s', (_label, overrides) => {
    const { json } = build({ ...overrides, scaling: undefined });
    const plan = planFleet(resolveGpuEndpoint({ ...BASE, ...overrides, scaling: undefined }, 'azure'));
    const { reserved, burst } = scaleSets(json);
    const autoscale = onlyResource(json, 'azurerm_monitor_autoscale_setting') as { profile: Array<{ capacity: { minimum: number; maximum: number } }> };
    const { minimum, maximum } = autoscale.profile[0].capacity;

    // Reserved replicas: the reservation's quantity and the Regular set's instances, at every fleet size.
    expect(reserved.instances).toBe(plan.reserved);
    if (plan.reserved > 0) expect(onlyResource(json, 'azurerm_capacity_reservation').sku).toMatchObject({ capacity: plan.reserved });
    else expect(resourcesOf(json, 'azurerm_capacity_reservation')).toEqual({});
    expect(plan.atMin.reserved).toBe(Math.min(plan.min, reserved.instances as number));

    // Everything else is on the burst set, split by its priority mix exactly as the plan splits it.
    expect(minimum).toBe(plan.atMin.onDemand + plan.atMin.spot);
    expect(maximum).toBe(plan.atMax.onDemand + plan.atMax.spot);
    expect(burst.instances).toBe(minimum);
    const mix = burst.priority_mix as { base_regular_count: number; regular_percentage_above_base: number } | undefined;
    for (const [count, expected] of [
      [minimum, plan.atMin],
      [maximum, plan.atMax],
    ] as const) {
      const split = mix ? priorityMixSplit(count, mix.base_regular_count, mix.regular_percentage_above_base) : { regular: count, spot: 0 };
      expect({ onDemand: split.regular, spot: split.spot }).toEqual({ onDemand: expected.onDemand, spot: expected.spot });
    }
    expect(burst.priority).toBe(mix ? 'Spot' : 'Regular');
  });
});

describe('GpuEndpoint (Azure): the cost estimate prices what is deployed', () => {
  test('instance type, reserved count and the expected mix match the scale sets', () => {
    const design = { ...BASE, capacity: { min: 3, max: 10, expectedAverage: 6 } };
    const estimate = estimateMonthlyCost(
      { name: 'demo', region: { azure: 'eastus2' }, tags: { team: 't', costCenter: 'c', environment: 'prod', application: 'a' }, endpoints: [design] },
      { clouds: ['azure'] },
    );
    const [priced] = estimate.clouds[0].endpoints;
    const { json } = build({ capacity: design.capacity });
    const { reserved, burst } = scaleSets(json);
    expect(priced.instanceType).toBe(reserved.sku_name);
    expect(priced.instanceType).toBe((onlyResource(json, 'azurerm_capacity_reservation').sku as { name: string }).name);
    expect(priced.replicas.reserved).toBe(reserved.instances);
    // The expected average above the reservation runs on the burst set, inside its autoscale bounds, split by its priority mix.
    const onBurst = priced.replicas.onDemand + priced.replicas.spot;
    const { minimum, maximum } = (onlyResource(json, 'azurerm_monitor_autoscale_setting') as { profile: Array<{ capacity: { minimum: number; maximum: number } }> }).profile[0].capacity;
    expect(onBurst).toBeGreaterThanOrEqual(minimum);
    expect(onBurst).toBeLessThanOrEqual(maximum);
    const mix = burst.priority_mix as { base_regular_count: number; regular_percentage_above_base: number };
    expect(priorityMixSplit(onBurst, mix.base_regular_count, mix.regular_percentage_above_base)).toEqual({ regular: priced.replicas.onDemand, spot: priced.replicas.spot });
  });
});

describe('GpuEndpoint (Azure): invalid props throw naming the path', () => {
  test('reserved above the fleet maximum', () => {
    const e = errorOf(() => build({ purchase: { reserved: 12 } }));
    expect(e.problems).toContainEqual({ path: 'props.purchase.reserved', message: expect.stringContaining('must be <= capacity.max (12 > 10)') });
  });

  test('spot on H100, which Azure sells no spot of', () => {
    const e = errorOf(() => build({ accelerator: 'nvidia-h100' }));
    expect(e.problems).toContainEqual({ path: 'props.purchase.spotPercentAboveBase', message: expect.stringMatching(/nvidia-h100 x1 on azure .*no spot offering; set it to 0/) });
  });

  test('nvidia-l4, which Azure does not offer', () => {
    const e = errorOf(() => build({ accelerator: 'nvidia-l4' }));
    expect(e.problems).toContainEqual({ path: 'props.accelerator', message: expect.stringMatching(/nvidia-l4 is not offered on azure.*acceleratorOverrides\.azure.*nvidia-a10g/) });
  });

  test('an accelerator count Azure does not sell', () => {
    const e = errorOf(() => build({ accelerator: 'nvidia-a10g', acceleratorsPerReplica: 4 }));
    expect(e.problems).toContainEqual({ path: 'props.acceleratorsPerReplica', message: 'nvidia-a10g on azure comes 1, 2 per instance, not 4' });
  });

  test('Azure-only rules: integer spot %, weekly single-time schedules, known time zones, SSH key format', () => {
    const e = errorOf(() =>
      build({
        purchase: { reserved: 2, onDemandBase: 1, spotPercentAboveBase: 66.5 },
        scaling: { offPeak: { start: '0 20,22 * * 1-5', end: '0 7 1 * *', min: 1, timeZone: 'Mars/Olympus_Mons' } },
        sshPublicKey: 'not-a-key',
        spotVmSizes: ['Standard_NC24ads_A100_v4', 'nc48'],
      }),
    );
    const paths = e.problems.map((p) => p.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'props.purchase.spotPercentAboveBase',
        'props.scaling.offPeak.timeZone',
        'props.scaling.offPeak.start',
        'props.scaling.offPeak.end',
        'props.sshPublicKey',
        'props.spotVmSizes[1]',
      ]),
    );
    expect(e.message).toContain("props.scaling.offPeak.start: the hour must be one number 0-23; Azure autoscale recurrences are weekly at one time, e.g. '0 20 * * 1-5' (got '0 20,22 * * 1-5')");
    expect(e.message).toContain("props.scaling.offPeak.timeZone: Azure autoscale has no time zone for 'Mars/Olympus_Mons'");
  });

  test('values written into cloud-init must be single lines', () => {
    const e = errorOf(() => build({ server: { ...BASE.server, args: ['--x', 'a\nb'], env: { 'BAD-NAME': 'v', OK: 'line\nbreak' } } }));
    expect(e.problems.map((p) => p.path)).toEqual(expect.arrayContaining(['props.server.args[1]', 'props.server.env.BAD-NAME', 'props.server.env.OK']));
  });

  test('no resources are created when props are invalid', () => {
    const { stack, resourceGroup } = makeStack();
    expect(() => new GpuEndpoint(stack, 'Bad', { ...BASE, resourceGroupName: resourceGroup.name, location: resourceGroup.location, capacity: { min: 5, max: 2 } })).toThrow(
      /props\.capacity\.max: must be >= capacity\.min \(2 < 5\)/,
    );
    expect(Object.keys(resourcesOf(synthJson(stack), VMSS))).toEqual([]);
  });
});

describe('GpuEndpoint (Azure): variants', () => {
  test('an existing subnet is used and no network resources are created', () => {
    const subnetId = '/subscriptions/0000/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/hub/subnets/gpu';
    const { endpoint, json } = build({ subnetId });
    for (const type of NETWORK_TYPES) expect({ type, found: Object.keys(resourcesOf(json, type)) }).toEqual({ type, found: [] });
    expect(endpoint.network).toBeUndefined();
    const { reserved, burst } = scaleSets(json);
    for (const set of [reserved, burst]) {
      const ipc = (set.network_interface as Array<{ ip_configuration: Array<Record<string, unknown>> }>)[0].ip_configuration[0];
      expect(ipc.subnet_id).toBe(subnetId);
    }
    expect((onlyResource(json, 'azurerm_lb').frontend_ip_configuration as Array<Record<string, unknown>>)[0].subnet_id).toBe(subnetId);
    expect(unresolvedReferences(json)).toEqual([]);
  });

  test('H100 without spot: the burst set is Regular priority and a driver warning suggests the HPC image', () => {
    const { endpoint, json } = build({ accelerator: 'nvidia-h100', purchase: { reserved: 1, onDemandBase: 0, spotPercentAboveBase: 0 } });
    const { reserved, burst } = scaleSets(json);
    expect(burst).toMatchObject({ name: 'vmss-llm-burst', priority: 'Regular', sku_name: 'Standard_NC40ads_H100_v5' });
    for (const key of ['priority_mix', 'eviction_policy', 'max_bid_price', 'sku_profile']) expect(burst).not.toHaveProperty(key);
    expect(reserved.sku_name).toBe('Standard_NC40ads_H100_v5');
    const warnings = endpoint.node.metadata.filter((m) => m.type === '@cdktf/warn').map((m) => String(m.data));
    expect(warnings).toEqual([expect.stringContaining('[ai-stack:azure-gpu-driver] Standard_NC40ads_H100_v5')]);
  });

  test('no reservation: no capacity reservation, an empty Regular set, all replicas on the Spot set', () => {
    const { endpoint, json } = build({ purchase: { onDemandBase: 1, spotPercentAboveBase: 70 } });
    expect(endpoint.capacityReservationGroup).toBeUndefined();
    expect(resourcesOf(json, 'azurerm_capacity_reservation_group')).toEqual({});
    const { reserved, burst } = scaleSets(json);
    expect(reserved.instances).toBe(0);
    expect(reserved).not.toHaveProperty('capacity_reservation_group_id');
    expect(burst.instances).toBe(3);
  });

  test('a wholly reserved fleet has nothing to autoscale', () => {
    const { endpoint, json } = build({ capacity: { min: 4, max: 4 }, purchase: { reserved: 4 }, scaling: undefined });
    expect(endpoint.autoscaleSetting).toBeUndefined();
    expect(resourcesOf(json, 'azurerm_monitor_autoscale_setting')).toEqual({});
    expect(scaleSets(json).reserved.instances).toBe(4);
    expect(scaleSets(json).burst).toMatchObject({ instances: 0, priority: 'Regular' });
    expect(scaleSets(json).burst).not.toHaveProperty('lifecycle');
  });

  test('several VM sizes use instance mix (sku_name Mix + sku_profile)', () => {
    const sizes = ['Standard_NC24ads_A100_v4', 'Standard_NC24ads_A100_v4_alt'];
    const lowest = scaleSets(build({ spotVmSizes: sizes }).json).burst;
    expect(lowest).toMatchObject({ sku_name: 'Mix', sku_profile: { allocation_strategy: 'LowestPrice', vm_sizes: sizes }, priority: 'Spot' });
    const capacity = scaleSets(build({ spotVmSizes: sizes, spotAllocationStrategy: InstanceMixAllocationStrategy.CAPACITY_OPTIMIZED }).json).burst;
    expect(capacity.sku_profile).toEqual({ allocation_strategy: 'CapacityOptimized', vm_sizes: sizes });
    // The reserved set keeps the primary size: a capacity reservation is for one size.
    expect(scaleSets(build({ spotVmSizes: sizes }).json).reserved.sku_name).toBe('Standard_NC24ads_A100_v4');
  });

  test('scaling on CPU only: no metric publisher, no role assignment, CPU rules', () => {
    const { endpoint, json } = build({ scaleOnGpuUtilization: false });
    expect(endpoint.metricsPublisher).toBeUndefined();
    expect(resourcesOf(json, 'azurerm_role_assignment')).toEqual({});
    const autoscale = onlyResource(json, 'azurerm_monitor_autoscale_setting') as { profile: Array<{ rule: Array<{ metric_trigger: { metric_name: string } }> }> };
    expect(autoscale.profile[0].rule.map((r) => r.metric_trigger.metric_name)).toEqual(['Percentage CPU', 'Percentage CPU']);
    const cloudConfig = decodeCustomData(scaleSets(json).burst);
    expect(cloudConfig).not.toContain('ai-stack-gpu-metrics');
  });

  test('an admin SSH key is used as given, and SSH stays enabled', () => {
    const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx0ZXN0a2V5dGVzdGtleXRlc3RrZXl0ZXN0a2V5dA ops@example';
    const { json } = build({ sshPublicKey: key });
    const { burst } = scaleSets(json);
    expect((burst.os_profile as { linux_configuration: { admin_ssh_key: unknown } }).linux_configuration.admin_ssh_key).toEqual([{ username: 'aistack', public_key: key }]);
    expect(decodeCustomData(burst)).not.toContain('mask ssh.service');
  });

  test('without the driver extension (an image that ships the driver)', () => {
    const { json } = build({ installGpuDriver: false, sourceImage: { publisher: 'microsoft-dsvm', offer: 'ubuntu-hpc', sku: '2204' } });
    const { burst } = scaleSets(json);
    expect((burst.extension as Array<{ type: string }>).map((e) => e.type)).toEqual(['ApplicationHealthLinux']);
    expect(burst.source_image_reference).toEqual({ publisher: 'microsoft-dsvm', offer: 'ubuntu-hpc', sku: '2204', version: 'latest' });
  });

  test('server args and env are quoted into the cloud-init', () => {
    const { json } = build({ server: { ...BASE.server, port: 9000, healthPath: '/ready', args: ['--served-model-name', "it's"], env: { HF_HOME: '/models', VLLM_LOGGING_LEVEL: 'INFO' } } });
    const doc = parseYaml(decodeCustomData(scaleSets(json).burst)) as { write_files: Array<{ path: string; content: string }> };
    const files = Object.fromEntries(doc.write_files.map((f) => [f.path, f.content]));
    expect(files['/etc/ai-stack/server.env']).toBe('HF_HOME=/models\nVLLM_LOGGING_LEVEL=INFO\n');
    expect(files['/usr/local/sbin/ai-stack-bootstrap']).toContain(`-p 9000:9000 --env-file /etc/ai-stack/server.env 'vllm/vllm-openai:v0.6.3' --model 'meta-llama/Llama-3.1-8B-Instruct' '--served-model-name' 'it'\\''s'`);
    expect(onlyResource(json, 'azurerm_lb_probe')).toMatchObject({ port: 9000, request_path: '/ready' });
  });

  test('resource group and location may be tokens from another resource', () => {
    const { json } = build();
    expect(scaleSets(json).burst.resource_group_name).toBe('${azurerm_resource_group.rg.name}');
  });
});

describe('the no-login SSH key', () => {
  test('is the documented hash-derived Ed25519 point', () => {
    const p = 2n ** 255n - 19n;
    const mod = (a: bigint) => ((a % p) + p) % p;
    const pow = (b: bigint, e: bigint) => {
      let r = 1n;
      b = mod(b);
      while (e > 0n) {
        if (e & 1n) r = (r * b) % p;
        b = (b * b) % p;
        e >>= 1n;
      }
      return r;
    };
    const inv = (a: bigint) => pow(a, p - 2n);
    const d = mod(-121665n * inv(121666n));
    const decodes = (bytes: Buffer) => {
      let y = 0n;
      for (let k = 31; k >= 0; k--) y = (y << 8n) | BigInt(k === 31 ? bytes[k] & 0x7f : bytes[k]);
      if (y >= p) return false;
      const x2 = mod(mod(y * y - 1n) * inv(mod(d * y * y + 1n)));
      return x2 === 0n || pow(x2, (p - 1n) / 2n) === 1n; // x² must be a square mod p
    };
    let counter = 0;
    let point: Buffer;
    for (;;) {
      point = Buffer.from(createHash('sha512').update(NO_LOGIN_KEY_LABEL + counter).digest().subarray(0, 32));
      point[31] &= 0x7f;
      if (decodes(point)) break;
      counter++;
    }
    expect(counter).toBe(1);
    const field = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
    const blob = Buffer.concat([field(Buffer.from('ssh-ed25519')), field(point)]);
    expect(NO_LOGIN_SSH_PUBLIC_KEY).toBe(`ssh-ed25519 ${blob.toString('base64')} ai-stack-no-login`);
  });
});

describe('schedules', () => {
  test('every mapped Windows time zone is one autoscale accepts', () => {
    expect(mappedWindowsZones().filter((z) => !AUTOSCALE_TIME_ZONES.includes(z))).toEqual([]);
  });

  test('IANA zones map to Windows ids; Windows ids pass through', () => {
    const problems = new Problems();
    expect(windowsTimeZone('UTC', 'p', problems)).toBe('UTC');
    expect(windowsTimeZone('America/New_York', 'p', problems)).toBe('Eastern Standard Time');
    expect(windowsTimeZone('Asia/Tokyo', 'p', problems)).toBe('Tokyo Standard Time');
    expect(windowsTimeZone('Romance Standard Time', 'p', problems)).toBe('Romance Standard Time');
    expect(problems.count).toBe(0);
  });

  test.each([
    ['0 20 * * 1-5', ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday'], 20, 0],
    ['30 22 * * 5,6', ['Friday', 'Saturday'], 22, 30],
    ['0 0 * * 0', ['Sunday'], 0, 0],
    ['15 6 * * 7', ['Sunday'], 6, 15],
    ['0 1 * * *', ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'], 1, 0],
    ['0 9 * * 6-7', ['Saturday', 'Sunday'], 9, 0],
  ])('cron %s', (cron, days, hour, minute) => {
    const problems = new Problems();
    expect(cronToRecurrence(cron, 'UTC', 'p', problems)).toEqual({ timezone: 'UTC', days, hours: [hour], minutes: [minute] });
    expect(problems.count).toBe(0);
  });

  test.each(['*/15 * * * *', '0 8-18 * * 1-5', '0 20 1 * *', '0 20 * 6 *', '0 20 * * */2'])('cron %s has no weekly single-time recurrence', (cron) => {
    const problems = new Problems();
    expect(cronToRecurrence(cron, 'UTC', 'p', problems)).toBeUndefined();
    expect(problems.all).toEqual([{ path: 'p', message: expect.stringContaining('Azure autoscale recurrences are weekly at one time') }]);
  });
});

describe('test helpers', () => {
  test('expressionsIn finds nested expressions and skips $${ literals', () => {
    expect(expressionsIn('a ${azurerm_lb.x.id} b $${literal} ${base64encode("{${var.y}}")}')).toEqual(['azurerm_lb.x.id', 'base64encode("{${var.y}}")']);
  });

  test('referencesIn ignores attribute paths, function names and strings', () => {
    expect(referencesIn('azurerm_lb.x.frontend_ip_configuration.0.private_ip_address')).toEqual(['azurerm_lb.x']);
    expect(referencesIn('base64encode(data.azurerm_client_config.me.tenant_id)')).toEqual(['data.azurerm_client_config.me']);
    expect(referencesIn('format("%s", "azurerm_fake.thing", var.name, local.tags)')).toEqual(['var.name', 'local.tags']);
  });

  test('unresolvedReferences reports dangling references and depends_on entries', () => {
    const json: TfJson = {
      resource: {
        azurerm_lb: { ok: { name: 'x' } },
        azurerm_lb_rule: { r: { loadbalancer_id: '${azurerm_lb.ok.id}', probe_id: '${azurerm_lb_probe.gone.id}', depends_on: ['azurerm_lb.missing'] } },
      },
    };
    expect(unresolvedReferences(json)).toEqual(['resource.azurerm_lb_rule.r.probe_id: azurerm_lb_probe.gone', 'azurerm_lb_rule.r.depends_on: azurerm_lb.missing']);
  });

  test('synthJson runs aspects (Testing.synth)', () => {
    const { stack } = makeStack();
    expect(Testing.synth(stack)).toContain('azurerm_resource_group');
  });
});

describe('docs/azure/gpu-endpoint.md', () => {
  test('the example synthesizes, with every reference resolved', () => {
    const doc = readFileSync(join(__dirname, '../../docs/azure/gpu-endpoint.md'), 'utf8');
    const source = /```ts\n([\s\S]*?)```/.exec(doc)![1];
    expect(source).toContain('app.synth();');
    expect(source).toContain('new App()');
    // Synthesize into a temporary directory, not the working tree.
    const code = transformSync(source.replace('new App()', 'new App({ outdir: OUTDIR })').replace('app.synth();', 'exports.app = app;'), {
      jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
      module: { type: 'commonjs' },
    }).code;
    const modules: Record<string, unknown> = {
      'ai-stack-constructs': require('../../lib/design'),
      'ai-stack-constructs/azure': require('../../lib/azure/gpu-endpoint'),
    };
    const exported: { app?: App } = {};
    const outdir = mkdtempSync(join(tmpdir(), 'ai-stack-docs-'));
    new Function('require', 'exports', 'OUTDIR', code)((m: string) => modules[m] ?? require(m), exported, outdir);
    const stack = exported.app!.node.children.find((c): c is TerraformStack => c instanceof TerraformStack)!;
    const json = synthJson(stack);
    expect(Object.keys(resourcesOf(json, VMSS))).toHaveLength(2);
    expect(onlyResource(json, 'azurerm_capacity_reservation').sku).toEqual({ name: 'Standard_NC24ads_A100_v4', capacity: 2 });
    expect(unresolvedReferences(json)).toEqual([]);
  });
});
