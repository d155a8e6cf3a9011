import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { transformSync } from '@swc/core';
import { spawnSync } from 'node:child_process';
import { Fn, TerraformOutput, TerraformStack, Testing, Token, type App, type TerraformResource } from 'cdktf';
import { parse as parseYaml } from 'yaml';
import { GpuEndpoint, InstanceMixAllocationStrategy, METRIC_SEED_EXTENSION, NVIDIA_DRIVER_EXTENSION, type GpuEndpointProps } from '../../lib/azure/gpu-endpoint';
import { CPU_SCALE_IN_PERCENT, CPU_SCALE_OUT_PERCENT, gpuScaleInThreshold } from '../../lib/azure/gpu-endpoint/autoscale';
import { GPU_METRIC_NAME, GPU_METRIC_NAMESPACE, METRIC_SEED_TIMEOUT_SECONDS } from '../../lib/azure/gpu-endpoint/cloud-init';
import { MODEL_CACHE_CONTAINER_DIR, MODEL_CACHE_HOST_DIR } from '../../lib/common/model-server';
import { priorityMixSplit } from '../../lib/azure/gpu-endpoint/counts';
import { NO_LOGIN_KEY_LABEL, NO_LOGIN_SSH_PUBLIC_KEY } from '../../lib/azure/gpu-endpoint/no-login-key';
import { AUTOSCALE_TIME_ZONES, cronToRecurrence, mappedWindowsZones, windowsTimeZone } from '../../lib/azure/gpu-endpoint/schedule';
import { estimateMonthlyCost, planFleet, Problems, resolveGpuEndpoint } from '../../lib/design';
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
import { designErrorOf } from '../support/design-error';

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
  scaling: { targetGpuUtilization: 70, offPeak: { start: '0 20 * * 1-5', end: '0 7 * * 1-5', min: 2, timeZone: 'Europe/Berlin' } },
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
  return { reserved: resourceNamed(json, VMSS, 'vmss-test-llm-reserved'), burst: Object.values(resourcesOf(json, VMSS)).find((r) => r.name !== 'vmss-test-llm-reserved')! };
}

/** `${type.name.attr}`: how the Terraform JSON refers to an attribute of a construct's resource. */
function ref(resource: TerraformResource, attribute = 'id'): string {
  return `\${${resource.terraformResourceType}.${resource.friendlyUniqueId}.${attribute}}`;
}

/** The files cloud-init writes, by path. */
function cloudInitFiles(scaleSet: Record<string, unknown>): Record<string, string> {
  const doc = parseYaml(decodeCustomData(scaleSet)) as { write_files: Array<{ path: string; content: string }> };
  return Object.fromEntries(doc.write_files.map((f) => [f.path, f.content]));
}

/** The script the GPU metric seed extension of a scale set runs (decoded from its command). */
function seedScript(scaleSet: Record<string, unknown>): string {
  const ext = (scaleSet.extension as Array<Record<string, unknown>>).find((e) => e.name === METRIC_SEED_EXTENSION.name)!;
  const command = (JSON.parse(ext.settings as string) as { commandToExecute: string }).commandToExecute;
  const [, b64] = /^echo ([A-Za-z0-9+/=]+) \| base64 -d > /.exec(command)!;
  return Buffer.from(b64, 'base64').toString('utf8');
}

function bashSyntax(script: string): { status: number | null; stderr: string } {
  const check = spawnSync('bash', ['-n'], { input: script, encoding: 'utf8' });
  return { status: check.status, stderr: check.stderr };
}

const VAULT_ID = '/subscriptions/0000/resourceGroups/rg-secrets/providers/Microsoft.KeyVault/vaults/kv-ml';
const HF_TOKEN = { secretId: 'https://kv-ml.vault.azure.net/secrets/hf-token', keyVaultId: VAULT_ID };

describe('GpuEndpoint (Azure): resources of the default purchase mix', () => {
  const { endpoint, json } = build();
  const { reserved, burst } = scaleSets(json);
  const autoscale = onlyResource(json, 'azurerm_monitor_autoscale_setting') as { profile: Array<Record<string, any>> };

  test('a capacity reservation of the primary size for the reserved replicas', () => {
    const group = onlyResource(json, 'azurerm_capacity_reservation_group');
    const reservation = onlyResource(json, 'azurerm_capacity_reservation');
    expect(reservation.sku).toEqual({ name: 'Standard_NC24ads_A100_v4', capacity: 2 });
    expect(reservation.capacity_reservation_group_id).toBe(ref(endpoint.capacityReservationGroup!));
    expect(group.name).toBe('crg-test-llm');
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
      name: 'vmss-test-llm-spot',
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
      expect(set.automatic_instance_repair).toEqual({ enabled: true, grace_period: 'PT15M', action: 'Replace' });
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

  test('the identity may publish and read metrics on the load balancer and nothing else', () => {
    const assignments = Object.values(resourcesOf(json, 'azurerm_role_assignment'));
    const summary = assignments.map((a) => [a.role_definition_name, a.scope, a.principal_id, a.principal_type]).sort();
    expect(summary).toEqual([
      ['Monitoring Metrics Publisher', ref(endpoint.loadBalancer), ref(endpoint.identity, 'principal_id'), 'ServicePrincipal'],
      ['Monitoring Reader', ref(endpoint.loadBalancer), ref(endpoint.identity, 'principal_id'), 'ServicePrincipal'],
    ]);
  });

  test('first apply: the roles exist before any replica boots, and autoscale is created after both scale sets', () => {
    const roles = [endpoint.metricsPublisher!, endpoint.metricsReader!].map((r) => `azurerm_role_assignment.${r.friendlyUniqueId}`);
    for (const set of [reserved, burst]) expect(set.depends_on).toEqual(expect.arrayContaining(roles));
    expect(onlyResource(json, 'azurerm_monitor_autoscale_setting').depends_on).toEqual([`${VMSS}.${endpoint.reservedScaleSet.friendlyUniqueId}`]);
    // The burst set is the autoscale target, so Terraform creates it first too.
    expect(onlyResource(json, 'azurerm_monitor_autoscale_setting').target_resource_id).toBe(ref(endpoint.spotScaleSet));
  });

  test('each new replica seeds the GPU metric after the driver, before it reports provisioned', () => {
    for (const set of [reserved, burst]) {
      const ext = (set.extension as Array<Record<string, unknown>>).find((e) => e.name === METRIC_SEED_EXTENSION.name)!;
      expect(ext).toMatchObject({
        publisher: 'Microsoft.Azure.Extensions',
        type: 'CustomScript',
        type_handler_version: '2.1',
        extensions_to_provision_after_vm_creation: ['NvidiaGpuDriverLinux'],
      });
      const script = seedScript(set);
      expect(bashSyntax(script)).toEqual({ status: 0, stderr: '' });
      // Publishes on the load balancer, then waits until Azure Monitor lists the metric (what autoscale validates).
      expect(script).toContain('providers/Microsoft.Network/loadBalancers/lbi-test-llm');
      expect(script).toContain(`"metric":"%s","namespace":"%s"`);
      expect(script).toContain(`metricDefinitions?api-version=2018-01-01&metricnamespace=aistack%2Fgpu`);
      expect(script).toContain(`grep -q '"${GPU_METRIC_NAME}"'`);
      // Never fails the VM: it gives up with a message after the timeout.
      expect(script).toContain(`deadline=$(( $(date +%s) + ${METRIC_SEED_TIMEOUT_SECONDS} ))`);
      expect(script).not.toMatch(/exit [1-9]/);
    }
  });

  test('the security group admits the server port from the endpoint subnet and the LB probe only, and denies everything else', () => {
    const rules = Object.values(resourcesOf(json, 'azurerm_network_security_rule'));
    const allows = rules.filter((r) => r.access === 'Allow');
    expect(allows.map((r) => [r.source_address_prefix ?? r.source_address_prefixes, r.destination_port_range, r.protocol])).toEqual([
      [['10.40.0.0/20'], '8000', 'Tcp'],
      ['AzureLoadBalancer', '8000', 'Tcp'],
    ]);
    expect(JSON.stringify(rules)).not.toContain('VirtualNetwork');
    expect(endpoint.clientCidrs).toEqual(['10.40.0.0/20']);
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
    // The shared model server command: port passed explicitly, shared memory per GPU, model cache on the OS disk.
    expect(bootstrap).toContain(
      'docker run -d --name model-server --restart unless-stopped --gpus all --shm-size 4g -p 8000:8000 ' +
        `-v ${MODEL_CACHE_HOST_DIR}:${MODEL_CACHE_CONTAINER_DIR} --env-file /etc/ai-stack/server.env ` +
        "'vllm/vllm-openai:v0.6.3' '--model' 'meta-llama/Llama-3.1-8B-Instruct' '--port' '8000'",
    );
    expect(bootstrap.indexOf(`mkdir -p ${MODEL_CACHE_HOST_DIR}`)).toBeGreaterThan(0);
    expect(bootstrap.indexOf(`mkdir -p ${MODEL_CACHE_HOST_DIR}`)).toBeLessThan(bootstrap.indexOf('docker run -d'));
    // No secrets configured: no Key Vault reads, no secrets env file.
    expect(bootstrap).not.toContain('vault.azure.net');
    expect(bootstrap).not.toContain('/run/ai-stack/secrets.env');
    // The scripts are valid bash.
    for (const script of ['/usr/local/sbin/ai-stack-bootstrap', '/usr/local/sbin/ai-stack-gpu-metrics']) {
      expect({ script, ...bashSyntax(files[script]) }).toEqual({ script, status: 0, stderr: '' });
    }
    // GPU utilization goes to the custom metric the autoscale rules read, on the load balancer.
    const metrics = files['/usr/local/sbin/ai-stack-gpu-metrics'];
    expect(metrics).toContain('providers/Microsoft.Network/loadBalancers/lbi-test-llm');
    expect(metrics).toContain(`"${GPU_METRIC_NAME}" "${GPU_METRIC_NAMESPACE}"`);
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
    // The GPU metric is read from the load balancer the replicas publish it on; host CPU from the Spot scale set.
    expect(rules.map((r) => r.metric_trigger.metric_resource_id)).toEqual([
      ref(endpoint.loadBalancer),
      ref(endpoint.loadBalancer),
      ref(endpoint.spotScaleSet),
      ref(endpoint.spotScaleSet),
    ]);
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
    ['no reservation, all spot above the base', { purchase: { spotPercentAboveBase: 100 }, capacity: { min: 1, max: 6 } }],
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
    const e = designErrorOf(() => build({ purchase: { reserved: 12 } }));
    expect(e.problems).toContainEqual({ path: 'props.purchase.reserved', message: expect.stringContaining('must be <= capacity.max (12 > 10)') });
  });

  test('spot on H100, which Azure sells no spot of', () => {
    const e = designErrorOf(() => build({ accelerator: 'nvidia-h100' }));
    expect(e.problems).toContainEqual({ path: 'props.purchase.spotPercentAboveBase', message: expect.stringMatching(/nvidia-h100 x1 on azure .*no spot offering; set it to 0/) });
  });

  test('nvidia-l4, which Azure does not offer', () => {
    const e = designErrorOf(() => build({ accelerator: 'nvidia-l4' }));
    expect(e.problems).toContainEqual({ path: 'props.accelerator', message: expect.stringMatching(/nvidia-l4 is not offered on azure.*acceleratorOverrides\.azure.*nvidia-a10g/) });
  });

  test('an accelerator count Azure does not sell', () => {
    const e = designErrorOf(() => build({ accelerator: 'nvidia-a10g', acceleratorsPerReplica: 4 }));
    expect(e.problems).toContainEqual({ path: 'props.acceleratorsPerReplica', message: 'nvidia-a10g on azure comes 1, 2 per instance, not 4' });
  });

  test('Azure-only rules: integer spot %, weekly single-time schedules, known time zones, SSH key format', () => {
    const e = designErrorOf(() =>
      build({
        purchase: { reserved: 2, onDemandBase: 1, spotPercentAboveBase: 66.5 },
        scaling: { offPeak: { start: '0 20,22 * * 1-5', end: '0 7 1 * *', min: 2, timeZone: 'Mars/Olympus_Mons' } },
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
    const e = designErrorOf(() => build({ server: { ...BASE.server, args: ['--x', 'a\nb'], env: { 'BAD-NAME': 'v', OK: 'line\nbreak' } } }));
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
    expect(burst).toMatchObject({ name: 'vmss-test-llm-burst', priority: 'Regular', sku_name: 'Standard_NC40ads_H100_v5' });
    for (const key of ['priority_mix', 'eviction_policy', 'max_bid_price', 'sku_profile']) expect(burst).not.toHaveProperty(key);
    expect(reserved.sku_name).toBe('Standard_NC40ads_H100_v5');
    const warnings = endpoint.node.metadata.filter((m) => m.type === '@cdktf/warn').map((m) => String(m.data));
    expect(warnings).toEqual([
      expect.stringContaining('[ai-stack:azure-gpu-driver] Standard_NC40ads_H100_v5'),
      expect.stringContaining('[ai-stack:azure-endpoint-own-network] No subnetId was given'),
    ]);
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
    expect((burst.extension as Array<{ name: string }>).map((e) => e.name)).toEqual([METRIC_SEED_EXTENSION.name, 'ApplicationHealthLinux']);
    // Nothing to wait for: the image ships the driver.
    expect((burst.extension as Array<Record<string, unknown>>)[0]).not.toHaveProperty('extensions_to_provision_after_vm_creation');
    expect(burst.source_image_reference).toEqual({ publisher: 'microsoft-dsvm', offer: 'ubuntu-hpc', sku: '2204', version: 'latest' });
  });

  test('server args and env are quoted into the cloud-init, and the server listens on a non-default port', () => {
    const { json } = build({ server: { ...BASE.server, port: 9000, healthPath: '/ready', args: ['--served-model-name', "it's"], env: { HF_HOME: '/models', VLLM_LOGGING_LEVEL: 'INFO' } } });
    const files = cloudInitFiles(scaleSets(json).burst);
    expect(files['/etc/ai-stack/server.env']).toBe('HF_HOME=/models\nVLLM_LOGGING_LEVEL=INFO\n');
    expect(files['/usr/local/sbin/ai-stack-bootstrap']).toContain(
      `-p 9000:9000 -v ${MODEL_CACHE_HOST_DIR}:${MODEL_CACHE_CONTAINER_DIR} --env-file /etc/ai-stack/server.env 'vllm/vllm-openai:v0.6.3' '--model' 'meta-llama/Llama-3.1-8B-Instruct' '--port' '9000' '--served-model-name' 'it'\\''s'`,
    );
    expect(onlyResource(json, 'azurerm_lb_probe')).toMatchObject({ port: 9000, request_path: '/ready' });
    const health = (scaleSets(json).burst.extension as Array<Record<string, unknown>>).find((e) => e.type === 'ApplicationHealthLinux')!;
    expect(JSON.parse(health.settings as string)).toMatchObject({ port: 9000, requestPath: '/ready' });
  });

  test('a --port in server.args is not passed twice', () => {
    const { json } = build({ server: { ...BASE.server, port: 9000, args: ['--port=9000'] } });
    const bootstrap = cloudInitFiles(scaleSets(json).burst)['/usr/local/sbin/ai-stack-bootstrap'];
    expect(bootstrap).toContain("'--model' 'meta-llama/Llama-3.1-8B-Instruct' '--port=9000'");
    expect(bootstrap.match(/--port/g)).toHaveLength(1);
  });

  test('shared memory scales with the GPUs of a replica', () => {
    const { json } = build({ accelerator: 'nvidia-a100-80gb', acceleratorsPerReplica: 2 });
    expect(cloudInitFiles(scaleSets(json).burst)['/usr/local/sbin/ai-stack-bootstrap']).toContain('--gpus all --shm-size 8g -p 8000:8000');
  });

  test('resource group and location may be tokens from another resource', () => {
    const { json } = build();
    expect(scaleSets(json).burst.resource_group_name).toBe('${azurerm_resource_group.rg.name}');
  });
});

describe('GpuEndpoint (Azure): tokens where synth needs literals', () => {
  const tokenString = () => Token.asString(Fn.lower('X'));
  const tokenNumber = () => Token.asNumber(Fn.abs(1));

  test('a token in server.image, server.model, server.args[i] or server.env.<key> is a path error, not a synth crash', () => {
    const e = designErrorOf(() =>
      build({ server: { image: tokenString(), model: tokenString(), args: ['--x', tokenString()], env: { HF_HOME: '/models', LEVEL: tokenString() } } }),
    );
    const byPath = Object.fromEntries(e.problems.map((p) => [p.path, p.message]));
    for (const path of ['props.server.image', 'props.server.model', 'props.server.args[1]', 'props.server.env.LEVEL']) {
      expect(byPath[path]).toMatch(/must be a literal, not an unresolved token: it is written into the replicas' cloud-init, which is rendered at synth/);
      expect(byPath[path]).toContain('use serverSecrets');
    }
    expect(byPath).not.toHaveProperty(['props.server.args[0]']);
    expect(byPath).not.toHaveProperty(['props.server.env.HF_HOME']);
  });

  test('a token in server.port is a path error too (the port is in the docker command)', () => {
    const e = designErrorOf(() => build({ server: { ...BASE.server, port: tokenNumber() } }));
    expect(e.problems.map((p) => p.path)).toEqual(['props.server.port']);
  });

  test.each([
    ['capacity.min', { capacity: { min: tokenNumber(), max: 10 } }],
    ['capacity.max', { capacity: { min: 3, max: tokenNumber() } }],
    ['capacity.expectedAverage', { capacity: { min: 3, max: 10, expectedAverage: tokenNumber() } }],
    ['purchase.reserved', { purchase: { reserved: tokenNumber(), onDemandBase: 1, spotPercentAboveBase: 70 }, scaling: undefined }],
    ['purchase.onDemandBase', { purchase: { reserved: 2, onDemandBase: tokenNumber(), spotPercentAboveBase: 70 } }],
    ['purchase.spotPercentAboveBase', { purchase: { reserved: 2, onDemandBase: 1, spotPercentAboveBase: tokenNumber() } }],
    ['acceleratorsPerReplica', { acceleratorsPerReplica: tokenNumber() }],
    ['scaling.offPeak.min', { scaling: { offPeak: { start: '0 20 * * 1-5', end: '0 7 * * 1-5', min: tokenNumber() } } }],
    ['scaling.targetGpuUtilization', { scaling: { targetGpuUtilization: tokenNumber() } }],
  ] as Array<[string, Partial<GpuEndpointProps>]>)('a token in %s is a path error, not a wrong fleet', (field, overrides) => {
    const e = designErrorOf(() => build(overrides));
    expect(e.problems).toContainEqual({
      path: `props.${field}`,
      message: expect.stringMatching(/^must be a literal number, not an unresolved token: .*computed from it at synth\. Pass the number itself$/),
    });
  });

  test('a token in the off-peak schedule says a literal is needed (and is never converted)', () => {
    const e = designErrorOf(() => build({ scaling: { offPeak: { start: tokenString(), end: '0 7 * * 1-5', min: 2 } } }));
    expect(e.problems).toContainEqual({ path: 'props.scaling.offPeak.start', message: expect.stringContaining('must be a literal string, not an unresolved token') });
    // No Azure recurrence error on the token (the neutral design's own cron check may still report it).
    expect(e.message).not.toContain('Azure autoscale recurrences');
  });

  test('tokens still pass where they are used as Terraform references', () => {
    const { stack, resourceGroup } = makeStack();
    const endpoint = new GpuEndpoint(stack, 'Llm', { ...BASE, resourceGroupName: resourceGroup.name, location: resourceGroup.location, rootVolumeGiB: Token.asNumber(Fn.abs(300)) });
    expect(endpoint.reservedScaleSet).toBeDefined();
  });
});

describe('the GPU metric scripts, run against fake IMDS, nvidia-smi and Azure Monitor', () => {
  const { json } = build();
  const { burst } = scaleSets(json);
  const seed = seedScript(burst);
  const timer = cloudInitFiles(burst)['/usr/local/sbin/ai-stack-gpu-metrics'];

  /** Runs a script with shell-function fakes; `defined` says whether Azure Monitor lists the metric. */
  function run(script: string, o: { defined: boolean; gpus?: string }) {
    const dir = mkdtempSync(join(tmpdir(), 'ai-stack-metrics-'));
    const fakes = `
# A clock that advances 30 s per reading (kept in a file: readings happen in subshells).
echo 1000 > ${dir}/now
date() { if [ "$1" = +%s ]; then local t=$(( $(cat ${dir}/now) + 30 )); echo $t > ${dir}/now; echo $t; else command date "$@"; fi; }
sleep() { :; }
nvidia-smi() { printf '${o.gpus ?? '37\\n41\\n'}'; }
curl() {
  case "$*" in
    *compute/subscriptionId*) echo 0000 ;;
    *compute/resourceGroupName*) echo rg-test ;;
    *compute/location*) echo eastus2 ;;
    *compute/name*) echo llm-b_1 ;;
    *identity/oauth2/token*) echo '{"access_token":"tok","expires_in":"3599"}' ;;
    *metricDefinitions*) echo "$*" >> ${dir}/reads; ${o.defined ? `echo '{"value":[{"name":{"value":"GpuUtilization"}}]}'` : `echo '{"value":[]}'`} ;;
    *"-X POST"*) echo "$*" >> ${dir}/posts ;;
    *) return 22 ;;
  esac
}
`;
    const result = spawnSync('bash', ['-c', fakes + script], { encoding: 'utf8', timeout: 20_000 });
    const read = (f: string) => spawnSync('cat', [join(dir, f)], { encoding: 'utf8' }).stdout;
    return { status: result.status, stdout: result.stdout, stderr: result.stderr, posts: read('posts'), reads: read('reads') };
  }

  test('the seed publishes the mean GPU utilization on the load balancer, then waits for the definition', () => {
    const r = run(seed, { defined: true });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('ai-stack: published GpuUtilization=39');
    expect(r.stdout).toContain('is defined on the load balancer');
    const target = '/subscriptions/0000/resourceGroups/rg-test/providers/Microsoft.Network/loadBalancers/lbi-test-llm';
    expect(r.posts).toContain(`https://eastus2.monitoring.azure.com${target}/metrics`);
    expect(r.posts).toContain('Authorization: Bearer tok');
    const body = JSON.parse(/-d (\{.*\})/.exec(r.posts)![1]) as { data: { baseData: Record<string, unknown> } };
    expect(body.data.baseData).toEqual({
      metric: GPU_METRIC_NAME,
      namespace: GPU_METRIC_NAMESPACE,
      dimNames: ['VMName'],
      series: [{ dimValues: ['llm-b_1'], min: 39, max: 39, sum: 39, count: 1 }],
    });
    expect(r.reads).toContain(`https://management.azure.com${target}/providers/microsoft.insights/metricDefinitions?api-version=2018-01-01&metricnamespace=aistack%2Fgpu`);
  });

  test('the seed gives up after its timeout with exit 0 and a message, never failing the VM', () => {
    const r = run(seed, { defined: false });
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('GpuUtilization not listed by Azure Monitor after 30 minutes');
    expect(r.stderr).toContain('UnsupportedMetric');
  });

  test('the seed waits for the driver, and gives up cleanly if nvidia-smi never works', () => {
    const r = run(seed, { defined: true, gpus: '' });
    expect(r.status).toBe(0);
    expect(r.posts).toBe('');
    expect(r.stderr).toContain('no GPU utilization (nvidia-smi)');
  });

  test('the per-minute publisher posts one data point', () => {
    const r = run(timer, { defined: true, gpus: '90\\n' });
    expect(r.status).toBe(0);
    expect(r.posts).toContain('"min":90,"max":90,"sum":90,"count":1');
  });
});

describe('GpuEndpoint (Azure): server secrets from Key Vault', () => {
  const secrets = { HF_TOKEN: HF_TOKEN, API_KEY: { secretId: 'https://kv-ml.vault.azure.net/secrets/api-key/', keyVaultId: VAULT_ID } };
  const { endpoint, json } = build({ serverSecrets: secrets });
  const { reserved, burst } = scaleSets(json);
  const bootstrap = cloudInitFiles(burst)['/usr/local/sbin/ai-stack-bootstrap'];

  test('the identity gets "Key Vault Secrets User" on each secret alone', () => {
    const readers = Object.values(resourcesOf(json, 'azurerm_role_assignment')).filter((r) => r.role_definition_name === 'Key Vault Secrets User');
    expect(readers.map((r) => [r.scope, r.principal_id, r.principal_type]).sort()).toEqual([
      [`${VAULT_ID}/secrets/api-key`, ref(endpoint.identity, 'principal_id'), 'ServicePrincipal'],
      [`${VAULT_ID}/secrets/hf-token`, ref(endpoint.identity, 'principal_id'), 'ServicePrincipal'],
    ]);
    expect(Object.keys(endpoint.secretReaders).sort()).toEqual(['API_KEY', 'HF_TOKEN']);
    // Granted before any replica boots.
    for (const set of [reserved, burst]) {
      for (const r of Object.values(endpoint.secretReaders)) expect(set.depends_on).toContain(`azurerm_role_assignment.${r.friendlyUniqueId}`);
    }
  });

  test('at boot each secret is read with an IMDS token for Key Vault into a root-only env file, before docker run', () => {
    expect(bashSyntax(bootstrap)).toEqual({ status: 0, stderr: '' });
    expect(bootstrap).toContain('resource=https%3A%2F%2Fvault.azure.net"');
    expect(bootstrap).toContain("read_secret 'API_KEY' 'https://kv-ml.vault.azure.net/secrets/api-key'\nread_secret 'HF_TOKEN' 'https://kv-ml.vault.azure.net/secrets/hf-token'");
    expect(bootstrap).toContain('"$2?api-version=7.4"');
    expect(bootstrap).toContain('( umask 077 && : > /run/ai-stack/secrets.env.tmp )');
    expect(bootstrap).toContain('install -d -m 700 /run/ai-stack');
    const run = bootstrap.indexOf('docker run -d');
    expect(bootstrap.indexOf('read_secret \'HF_TOKEN\'')).toBeLessThan(run);
    expect(bootstrap.indexOf('mv /run/ai-stack/secrets.env.tmp /run/ai-stack/secrets.env')).toBeLessThan(run);
    expect(bootstrap).toContain('--env-file /etc/ai-stack/server.env --env-file /run/ai-stack/secrets.env \'vllm/vllm-openai:v0.6.3\'');
    // The values never reach custom_data, only the ids.
    expect(decodeCustomData(burst)).not.toMatch(/HF_TOKEN=/);
  });

  test('a failed read stops the boot before the server starts', () => {
    // Run the generated secret-reading part with a fake curl that fails for one secret.
    const dir = mkdtempSync(join(tmpdir(), 'ai-stack-secrets-'));
    const start = bootstrap.indexOf('install -d -m 700 /run/ai-stack');
    const end = bootstrap.indexOf('mv /run/ai-stack/secrets.env.tmp /run/ai-stack/secrets.env');
    const part = bootstrap.slice(start, end).split('/run/ai-stack').join(dir) + `mv ${dir}/secrets.env.tmp ${dir}/secrets.env\necho STARTED\n`;
    const fakes = `curl() { case "$*" in *metadata/identity*) echo '{"access_token":"t"}' ;; *api-key*) echo '{"value":"k-1"}' ;; *) return 22 ;; esac; }\n`;
    const run = spawnSync('bash', ['-c', `set -euo pipefail\n${fakes}${part}`], { encoding: 'utf8' });
    expect(run.status).not.toBe(0);
    expect(run.stdout).not.toContain('STARTED');
    expect(run.stderr).toContain('cannot read Key Vault secret https://kv-ml.vault.azure.net/secrets/hf-token (for HF_TOKEN)');
    // And with every read succeeding, the env file holds NAME=value lines, mode 0600.
    const ok = spawnSync('bash', ['-c', `set -euo pipefail\n${fakes.replace('return 22', `echo '{"value":"hf-1"}'`)}${part}stat -c %a ${dir}/secrets.env; cat ${dir}/secrets.env`], { encoding: 'utf8' });
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toBe('STARTED\n600\nAPI_KEY=k-1\nHF_TOKEN=hf-1\n');
  });

  test('invalid secrets are path errors', () => {
    const e = designErrorOf(() =>
      build({
        server: { ...BASE.server, env: { HF_TOKEN: 'plain' } },
        serverSecrets: {
          HF_TOKEN: HF_TOKEN,
          'lower-case': HF_TOKEN,
          VERSIONED: { secretId: 'https://kv-ml.vault.azure.net/secrets/hf-token/0123456789abcdef', keyVaultId: VAULT_ID },
          OTHER_VAULT: { secretId: 'https://kv-other.vault.azure.net/secrets/x', keyVaultId: VAULT_ID },
          TOKEN_ID: { secretId: Token.asString(Fn.lower('X')), keyVaultId: VAULT_ID },
          NO_VAULT: { secretId: 'https://kv-ml.vault.azure.net/secrets/x', keyVaultId: 'kv-ml' },
        },
      }),
    );
    const byPath = Object.fromEntries(e.problems.map((p) => [p.path, p.message]));
    expect(byPath['props.serverSecrets.HF_TOKEN']).toBe('is also set in server.env; set each variable in one place (a secret value belongs in serverSecrets only)');
    expect(byPath['props.serverSecrets.lower-case']).toMatch(/^must be an environment variable name: letters, digits and '_'/);
    expect(byPath['props.serverSecrets.VERSIONED.secretId']).toMatch(/^must be the versionless secret id/);
    expect(byPath['props.serverSecrets.OTHER_VAULT.keyVaultId']).toBe("names vault 'kv-ml' but secretId is in vault 'kv-other'; both must refer to the same vault");
    expect(byPath['props.serverSecrets.TOKEN_ID.secretId']).toMatch(/^must be a literal, not an unresolved token: it is written into the replicas' cloud-init/);
    expect(byPath['props.serverSecrets.NO_VAULT.keyVaultId']).toMatch(/^must be a Key Vault resource id such as/);
  });

  test('the vault id may be a token (e.g. a vault in the same stack)', () => {
    const { stack, resourceGroup } = makeStack();
    const vaultId = Token.asString(Fn.lower(VAULT_ID));
    const endpoint = new GpuEndpoint(stack, 'Llm', { ...BASE, resourceGroupName: resourceGroup.name, location: resourceGroup.location, serverSecrets: { HF_TOKEN: { ...HF_TOKEN, keyVaultId: vaultId } } });
    const reader = resourcesOf(synthJson(stack), 'azurerm_role_assignment')[endpoint.secretReaders.HF_TOKEN.friendlyUniqueId];
    expect(reader.scope).toBe(`\${lower("${VAULT_ID}")}/secrets/hf-token`);
  });
});

describe('GpuEndpoint (Azure): who may reach the server port', () => {
  const allowFromClients = (json: TfJson) => Object.values(resourcesOf(json, 'azurerm_network_security_rule')).find((r) => r.name === 'allow-server-from-clients')!;

  test('clientCidrs replaces the default subnet range', () => {
    const { json } = build({ clientCidrs: ['10.40.0.0/20', '192.168.10.0/24', '172.16.0.5'] });
    expect(allowFromClients(json)).toMatchObject({ source_address_prefixes: ['10.40.0.0/20', '192.168.10.0/24', '172.16.0.5'], destination_port_range: '8000', priority: 100 });
    expect(resourcesOf(json, 'azurerm_subnet')).not.toEqual({});
  });

  test('with subnetId, the subnet prefixes are read with the azurerm_subnet data source', () => {
    const subnetId = '/subscriptions/0000/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/hub/subnets/gpu';
    const { endpoint, json } = build({ subnetId });
    const data = (json.data as Record<string, Record<string, Record<string, unknown>>>).azurerm_subnet;
    expect(Object.values(data)).toEqual([{ name: 'gpu', virtual_network_name: 'hub', resource_group_name: 'net' }]);
    expect(allowFromClients(json).source_address_prefixes).toBe(`\${data.azurerm_subnet.${endpoint.subnetData!.friendlyUniqueId}.address_prefixes}`);
    expect(unresolvedReferences(json)).toEqual([]);
  });

  test('with a subnetId token, Terraform splits the id for the data source', () => {
    const { stack, resourceGroup } = makeStack();
    const subnetId = Token.asString(Fn.lower('/subscriptions/0000/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/hub/subnets/gpu'));
    new GpuEndpoint(stack, 'Llm', { ...BASE, resourceGroupName: resourceGroup.name, location: resourceGroup.location, subnetId });
    const json = synthJson(stack);
    const [data] = Object.values((json.data as Record<string, Record<string, Record<string, unknown>>>).azurerm_subnet);
    expect(data.name).toMatch(/^\$\{element\(split\("\/", lower\(.*\)\), 10\)\}$/);
    expect(data.virtual_network_name).toMatch(/, 8\)\}$/);
    expect(data.resource_group_name).toMatch(/, 4\)\}$/);
  });

  test('with subnetId and clientCidrs, no data source is read', () => {
    const subnetId = '/subscriptions/0000/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/hub/subnets/gpu';
    const { endpoint, json } = build({ subnetId, clientCidrs: ['10.0.0.0/8'] });
    expect(json.data).toBeUndefined();
    expect(endpoint.subnetData).toBeUndefined();
    expect(allowFromClients(json).source_address_prefixes).toEqual(['10.0.0.0/8']);
  });

  test('invalid client ranges and subnet ids are path errors', () => {
    const e = designErrorOf(() => build({ clientCidrs: ['10.0.0.0/8', 'VirtualNetwork', '10.0.0.0/33'], subnetId: 'snet-gpu' }));
    expect(e.problems).toEqual(
      expect.arrayContaining([
        { path: 'props.clientCidrs[1]', message: "must be an IPv4 address or CIDR such as '10.0.0.0/8' (got 'VirtualNetwork'); service tags such as 'VirtualNetwork' are not accepted" },
        { path: 'props.clientCidrs[2]', message: expect.stringContaining("(got '10.0.0.0/33')") },
        { path: 'props.subnetId', message: expect.stringContaining("must be a subnet resource id such as '/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<subnet>' (got 'snet-gpu')") },
      ]),
    );
    expect(designErrorOf(() => build({ clientCidrs: [] })).problems).toEqual([{ path: 'props.clientCidrs', message: expect.stringContaining('must list at least one range') }]);
  });
});

describe('GpuEndpoint (Azure): a fleet that would start empty', () => {
  test('capacity.min 0 without a reservation is rejected: nothing would ever scale it out', () => {
    const e = designErrorOf(() => build({ capacity: { min: 0, max: 6 }, purchase: { spotPercentAboveBase: 100 }, scaling: undefined }));
    expect(e.problems).toEqual([{ path: 'props.capacity.min', message: expect.stringMatching(/^must be >= 1 on Azure when purchase.reserved is 0 \(got 0\): .*Set capacity.min to 1 or more/) }]);
  });

  test('an off-peak minimum of 0 is fine', () => {
    const { json } = build({ capacity: { min: 1, max: 6 }, purchase: { spotPercentAboveBase: 100 }, scaling: { offPeak: { start: '0 20 * * 1-5', end: '0 7 * * 1-5', min: 0 } } });
    const autoscale = onlyResource(json, 'azurerm_monitor_autoscale_setting') as { profile: Array<{ name: string; capacity: { minimum: number } }> };
    expect(autoscale.profile.map((p) => [p.name, p.capacity.minimum])).toEqual([
      ['default', 1],
      ['off-peak', 0],
      ['peak', 1],
    ]);
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
