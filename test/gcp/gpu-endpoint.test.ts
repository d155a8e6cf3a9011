import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import { Lazy, TerraformOutput, Testing, Token } from 'cdktf';
import { MODEL_CACHE_CONTAINER_DIR, MODEL_CACHE_HOST_DIR, shellQuote } from '../../lib/common/model-server';
import { Accelerator, planFleet, resolveGpuEndpoint, type ReplicaMix } from '../../lib/design';
import { GPU_UTILIZATION_FILTER, GPU_UTILIZATION_METRIC, GpuEndpoint, HEALTH_CHECK_RANGES, RESERVATION_NAME_KEY, type GpuEndpointProps } from '../../lib/gcp/gpu-endpoint';
import { groupBounds } from '../../lib/gcp/gpu-endpoint/groups';
import { peakSchedules } from '../../lib/gcp/gpu-endpoint/schedule';
import { parseSecretRef } from '../../lib/gcp/gpu-endpoint/secrets';
import { artifactRegistryRepo, SERVER_ENV_FILE } from '../../lib/gcp/gpu-endpoint/startup-script';
import { escapeTerraformTemplate } from '../../lib/cdktf/escape';
import {
  allReferences,
  dataSourcesOf,
  gcpTestStack,
  onlyResource,
  resourceNamed,
  resourcesOf,
  synthJson,
  unresolvedReferences,
  warningsOf,
  type TerraformJson,
} from './helpers';
import { designErrorOf } from '../support/design-error';

const ZONES = ['us-central1-a', 'us-central1-b', 'us-central1-c'];

/** min 4 / max 12, 1 reserved + 1 on-demand base, 50% spot above: every class non-empty at min. */
function props(overrides: Partial<GpuEndpointProps> = {}): GpuEndpointProps {
  return {
    name: 'llm',
    region: 'us-central1',
    zones: ZONES,
    accelerator: Accelerator.NVIDIA_L4,
    server: {
      image: 'us-docker.pkg.dev/models-proj/serving/vllm-openai:v0.6.3',
      model: 'meta-llama/Llama-3.1-8B-Instruct',
      args: ['--max-model-len', '8192'],
      env: { VLLM_LOGGING_LEVEL: 'INFO' },
    },
    capacity: { min: 4, max: 12 },
    purchase: { reserved: 1, onDemandBase: 1, spotPercentAboveBase: 50 },
    ...overrides,
  };
}

function build(p: GpuEndpointProps): { endpoint: GpuEndpoint; json: TerraformJson } {
  const { stack } = gcpTestStack();
  const endpoint = new GpuEndpoint(stack, 'Llm', p);
  return { endpoint, json: synthJson(stack) };
}

const ref = (address: string, attribute: string) => `\${${address}.${attribute}}`;

describe('instance templates', () => {
  const { json } = build(props());
  const onDemand = templateByPrefix(json, 'test-llm-ondemand-').config;

  function template(prefix: string): Record<string, any> {
    const hit = Object.values(resourcesOf(json, 'google_compute_instance_template')).find((t) => t.name_prefix === prefix);
    if (!hit) throw new Error(`no template ${prefix}`);
    return hit;
  }

  test('one template per capacity class, named by prefix and replaced before destroy', () => {
    expect(Object.values(resourcesOf(json, 'google_compute_instance_template')).map((t) => t.name_prefix).sort()).toEqual([
      'test-llm-ondemand-',
      'test-llm-reserved-',
      'test-llm-spot-',
    ]);
    for (const t of Object.values(resourcesOf(json, 'google_compute_instance_template'))) {
      expect(t.lifecycle).toEqual({ create_before_destroy: true });
    }
  });

  test('spot template: SPOT provisioning, deleted on preemption, never on a reservation', () => {
    const spot = template('test-llm-spot-');
    expect(spot.scheduling).toEqual({
      provisioning_model: 'SPOT',
      preemptible: true,
      automatic_restart: false,
      instance_termination_action: 'DELETE',
      on_host_maintenance: 'TERMINATE',
    });
    expect(spot.reservation_affinity).toEqual({ type: 'NO_RESERVATION' });
    expect(spot.labels).toEqual({ 'ai-stack-endpoint': 'test-llm', 'ai-stack-capacity': 'spot' });
  });

  test('standard templates: STANDARD provisioning, restart, TERMINATE on host maintenance', () => {
    for (const prefix of ['test-llm-ondemand-', 'test-llm-reserved-']) {
      expect(template(prefix).scheduling).toEqual({ provisioning_model: 'STANDARD', preemptible: false, automatic_restart: true, on_host_maintenance: 'TERMINATE' });
    }
    expect(template('test-llm-ondemand-').reservation_affinity).toEqual({ type: 'ANY_RESERVATION' });
  });

  test('every template: plan machine type, guest accelerators, no external IP, shielded VM, locked-down metadata', () => {
    const plan = planFleet(resolveGpuEndpoint(props(), 'gcp'));
    for (const prefix of ['test-llm-ondemand-', 'test-llm-reserved-', 'test-llm-spot-']) {
      const t = template(prefix);
      expect(t.machine_type).toBe(plan.instanceTypes[0].type);
      expect(t.machine_type).toBe('g2-standard-4');
      expect(t.guest_accelerator).toEqual([{ type: 'nvidia-l4', count: 1 }]);
      expect(t.network_interface).toHaveLength(1);
      expect(t.network_interface[0]).not.toHaveProperty('access_config');
      expect(t.network_interface[0]).not.toHaveProperty('ipv6_access_config');
      expect(t.can_ip_forward).toBe(false);
      expect(t.shielded_instance_config).toEqual({ enable_secure_boot: false, enable_vtpm: true, enable_integrity_monitoring: true });
      expect(t.disk).toEqual([
        {
          boot: true,
          auto_delete: true,
          disk_size_gb: 200,
          disk_type: 'pd-balanced',
          source_image: 'projects/deeplearning-platform-release/global/images/family/common-cu128-ubuntu-2204-nvidia-570',
        },
      ]);
      expect(t.metadata['block-project-ssh-keys']).toBe('true');
      expect(t.metadata['enable-oslogin']).toBe('TRUE');
      expect(t.service_account.scopes).toEqual(['cloud-platform']);
      expect(t.tags).toEqual(['ai-stack-test-llm']);
    }
  });

  test('startup script runs the shared server command: every GPU, the model, --port, shared memory, the model cache', () => {
    const script: string = onDemand.metadata['startup-script'];
    expect(script.startsWith('#!/bin/bash\n')).toBe(true);
    expect(script).toContain('  --name model-server \\\n');
    expect(script).toContain('--gpus all');
    expect(script).toContain('-p 8000:8000');
    // Shared memory sized per GPU instead of sharing the host's IPC namespace.
    expect(script).toContain('--shm-size 4g');
    expect(script).not.toContain('--ipc');
    // Weights survive container and VM restarts.
    expect(script).toContain(`mkdir -p ${MODEL_CACHE_HOST_DIR}\n`);
    expect(script).toContain(`-v ${MODEL_CACHE_HOST_DIR}:${MODEL_CACHE_CONTAINER_DIR}`);
    expect(script).toContain(
      `'us-docker.pkg.dev/models-proj/serving/vllm-openai:v0.6.3' '--model' 'meta-llama/Llama-3.1-8B-Instruct' '--port' '8000' '--max-model-len' '8192'`,
    );
    expect(script).toContain(`--env 'VLLM_LOGGING_LEVEL=INFO'`);
    expect(script).not.toContain('--env-file');
    expect(script).not.toContain('secretmanager');
    expect(script).toContain('gcloud auth configure-docker us-docker.pkg.dev --quiet');
    // The Ops Agent comes from Google's signed apt repository; no downloaded script is run.
    expect(script).toContain('apt-get install -y google-cloud-ops-agent');
    expect(script).toContain('deb [signed-by=/usr/share/keyrings/google-cloud-ops-agent.gpg] https://packages.cloud.google.com/apt google-cloud-ops-agent-');
    expect(script).not.toMatch(/bash \/tmp\/|curl [^|]*\| *(ba)?sh/);
    expect(onDemand).not.toHaveProperty('depends_on');
    expect(onDemand.metadata['shutdown-script']).toContain('docker stop --time 25 model-server');
  });

  test('a non-default port reaches the server as --port, and shared memory grows with the GPUs', () => {
    const { json: j } = build(props({ acceleratorsPerReplica: 4, server: { image: 'vllm/vllm-openai:v0.6.3', model: 'm', port: 9000 } }));
    const script: string = templateByPrefix(j, 'test-llm-spot-').config.metadata['startup-script'];
    expect(script).toContain(`'vllm/vllm-openai:v0.6.3' '--model' 'm' '--port' '9000'\n`);
    expect(script).toContain('-p 9000:9000');
    expect(script).toContain('--shm-size 16g');
    expect(onlyResource(j, 'google_compute_region_health_check').config.http_health_check.port).toBe(9000);
    // A port the user passes in args is not passed twice.
    const { json: own } = build(props({ server: { image: 'vllm/vllm-openai:v0.6.3', model: 'm', port: 9000, args: ['--port=9000'] } }));
    const ownScript: string = templateByPrefix(own, 'test-llm-spot-').config.metadata['startup-script'];
    expect(ownScript).toContain(`'--model' 'm' '--port=9000'\n`);
    expect(ownScript).not.toContain(`'--port' '9000'`);
  });

  test('the rendered startup script is valid bash', () => {
    const { json: j } = build(props({ serverSecrets: { HF_TOKEN: 'projects/secrets-proj/secrets/hf-token' } }));
    for (const { config } of [templateByPrefix(json, 'test-llm-spot-'), templateByPrefix(j, 'test-llm-spot-')]) {
      const script = fromTerraform(config.metadata['startup-script']);
      const check = spawnSync('bash', ['-n'], { input: script, encoding: 'utf8' });
      expect(check.stderr).toBe('');
      expect(check.status).toBe(0);
    }
  });

  test('secure boot, boot disk type and image are overridable', () => {
    const { json: j } = build(props({ secureBoot: true, bootDiskType: 'pd-ssd', sourceImage: 'projects/my-proj/global/images/family/llm-signed' }));
    const t = templateByPrefix(j, 'test-llm-spot-').config;
    expect(t.shielded_instance_config.enable_secure_boot).toBe(true);
    expect(t.disk[0].disk_type).toBe('pd-ssd');
    expect(t.disk[0].source_image).toBe('projects/my-proj/global/images/family/llm-signed');
  });

  test('A3 Ultra (H200) takes a Hyperdisk boot disk and gVNIC', () => {
    const { json: j } = build(
      props({ accelerator: Accelerator.NVIDIA_H200, acceleratorsPerReplica: 8, capacity: { min: 1, max: 2 }, purchase: { reserved: 0, onDemandBase: 1, spotPercentAboveBase: 100 } }),
    );
    const t = templateByPrefix(j, 'test-llm-ondemand-').config;
    expect(t.machine_type).toBe('a3-ultragpu-8g');
    expect(t.guest_accelerator).toEqual([{ type: 'nvidia-h200-141gb', count: 8 }]);
    expect(t.disk[0].disk_type).toBe('hyperdisk-balanced');
    expect(t.network_interface[0].nic_type).toBe('GVNIC');
  });
});

/** A Terraform template string back to the text the VM receives (the literal forms of `${` and `%{`). */
function fromTerraform(value: string): string {
  expect(value).not.toMatch(/(^|[^$])\$\{/); // no live interpolation left in a literal-only script
  return value.replace(/\$\$\{/g, '${').replace(/%%\{/g, '%{');
}

// resourceNamed matches `name`; templates have name_prefix, so look them up by prefix.
function templateByPrefix(json: TerraformJson, prefix: string): { address: string; config: Record<string, any> } {
  const hit = Object.entries(resourcesOf(json, 'google_compute_instance_template')).find(([, c]) => c.name_prefix === prefix);
  if (!hit) throw new Error(`no template ${prefix}`);
  return { address: `google_compute_instance_template.${hit[0]}`, config: hit[1] };
}

describe('reservation', () => {
  test('holds the reserved replicas in zones[0]; only the reserved template targets it', () => {
    const { json, endpoint } = build(props({ purchase: { reserved: 2, onDemandBase: 0, spotPercentAboveBase: 50 } }));
    const r = onlyResource(json, 'google_compute_reservation');
    expect(r.config.zone).toBe('us-central1-a');
    expect(r.config.specific_reservation_required).toBe(true);
    expect(r.config.specific_reservation).toEqual({
      count: 2,
      instance_properties: { machine_type: 'g2-standard-4', guest_accelerators: [{ accelerator_type: 'nvidia-l4', accelerator_count: 1 }] },
    });
    expect(endpoint.reservation).toBeDefined();
    const reserved = templateByPrefix(json, 'test-llm-reserved-').config;
    expect(reserved.reservation_affinity).toEqual({
      type: 'SPECIFIC_RESERVATION',
      specific_reservation: { key: RESERVATION_NAME_KEY, values: [ref(`google_compute_reservation.${r.name}`, 'name')] },
    });
    const group = resourceNamed(json, 'google_compute_region_instance_group_manager', 'test-llm-reserved').config;
    expect(group.distribution_policy_zones).toEqual(['us-central1-a']);
    // The reservation holds exactly the reserved VMs: updates replace in place.
    expect(group.update_policy).toMatchObject({ max_surge_fixed: 0, max_unavailable_fixed: 1 });
  });

  test('zones left out: the reservation and its group go in the region\'s first zone that is UP, with a warning', () => {
    const { json, endpoint } = build(props({ zones: undefined }));
    const zones = Object.entries(dataSourcesOf(json, 'google_compute_zones'));
    expect(zones).toHaveLength(1);
    expect(zones[0][1]).toEqual({ region: 'us-central1', status: 'UP' });
    const firstZone = `\${element(data.google_compute_zones.${zones[0][0]}.names, 0)}`;
    expect(onlyResource(json, 'google_compute_reservation').config.zone).toBe(firstZone);
    expect(resourceNamed(json, 'google_compute_region_instance_group_manager', 'test-llm-reserved').config.distribution_policy_zones).toEqual([firstZone]);
    expect(resourceNamed(json, 'google_compute_region_instance_group_manager', 'test-llm-spot').config).not.toHaveProperty('distribution_policy_zones');
    expect(warningsOf(endpoint).some((w) => w.startsWith('[ai-stack:gcp-reservation-zone]'))).toBe(true);
    expect(unresolvedReferences(json)).toEqual([]);
  });

  test('no reservation, reserved template or reserved group without purchase.reserved', () => {
    const { json, endpoint } = build(props({ purchase: { onDemandBase: 1, spotPercentAboveBase: 50 } }));
    expect(resourcesOf(json, 'google_compute_reservation')).toEqual({});
    expect(endpoint.reservation).toBeUndefined();
    expect(endpoint.reservedGroup).toBeUndefined();
    expect(Object.values(resourcesOf(json, 'google_compute_instance_template')).map((t) => t.name_prefix).sort()).toEqual(['test-llm-ondemand-', 'test-llm-spot-']);
  });
});

describe('managed instance groups', () => {
  const { json } = build(props());

  test('each group runs its own template, heals on the health check and names the server port', () => {
    const hc = onlyResource(json, 'google_compute_region_health_check');
    expect(hc.config.http_health_check).toEqual({ port: 8000, request_path: '/health' });
    for (const [groupName, prefix] of [
      ['test-llm-reserved', 'test-llm-reserved-'],
      ['test-llm-ondemand', 'test-llm-ondemand-'],
      ['test-llm-spot', 'test-llm-spot-'],
    ]) {
      const g = resourceNamed(json, 'google_compute_region_instance_group_manager', groupName).config;
      expect(g.version).toEqual([{ name: expect.any(String), instance_template: ref(templateByPrefix(json, prefix).address, 'id') }]);
      expect(g.auto_healing_policies).toEqual({ health_check: ref(`google_compute_region_health_check.${hc.name}`, 'id'), initial_delay_sec: 900 });
      expect(g.named_port).toEqual([{ name: 'http', port: 8000 }]);
      expect(g.region).toBe('us-central1');
      expect(g.wait_for_instances).toBe(false);
    }
  });

  test('on-demand and spot groups spread over the zones (BALANCED) and surge one VM per zone on updates', () => {
    for (const name of ['test-llm-ondemand', 'test-llm-spot']) {
      const g = resourceNamed(json, 'google_compute_region_instance_group_manager', name).config;
      expect(g.distribution_policy_zones).toEqual(ZONES);
      expect(g.distribution_policy_target_shape).toBe('BALANCED');
      expect(g.update_policy).toEqual({ type: 'PROACTIVE', minimal_action: 'REPLACE', instance_redistribution_type: 'NONE', max_surge_fixed: 3, max_unavailable_fixed: 0 });
    }
  });

  test('zones left to Compute Engine: no distribution zones, surge covers any region', () => {
    const { json: j } = build(props({ zones: undefined, purchase: { onDemandBase: 1 } }));
    const g = resourceNamed(j, 'google_compute_region_instance_group_manager', 'test-llm-ondemand').config;
    expect(g).not.toHaveProperty('distribution_policy_zones');
    expect(g.update_policy.max_surge_fixed).toBe(4);
  });
});

/** Autoscaler bounds by capacity class, read from the JSON. */
function autoscalerBounds(json: TerraformJson): Record<string, { min: number; max: number }> {
  const byGroupAddress = new Map(
    Object.entries(resourcesOf(json, 'google_compute_region_instance_group_manager')).map(([n, c]) => [ref(`google_compute_region_instance_group_manager.${n}`, 'id'), c.name as string]),
  );
  const result: Record<string, { min: number; max: number }> = {};
  for (const a of Object.values(resourcesOf(json, 'google_compute_region_autoscaler'))) {
    const groupName = byGroupAddress.get(a.target);
    if (!groupName) throw new Error(`autoscaler target ${a.target} is not a group of this stack`);
    result[groupName.replace(/^test-llm-/, '')] = { min: a.autoscaling_policy.min_replicas, max: a.autoscaling_policy.max_replicas };
  }
  return result;
}

describe('autoscaler bounds follow the fleet plan', () => {
  const classes = (m: ReplicaMix) => ({ reserved: m.reserved, ondemand: m.onDemand, spot: m.spot });

  test.each([
    // [capacity, purchase, expected per group {min,max}]
    [{ min: 4, max: 12 }, { reserved: 1, onDemandBase: 1, spotPercentAboveBase: 50 }, { reserved: { min: 1, max: 1 }, ondemand: { min: 2, max: 6 }, spot: { min: 1, max: 5 } }],
    [{ min: 6, max: 20 }, { reserved: 2, onDemandBase: 0, spotPercentAboveBase: 70 }, { reserved: { min: 2, max: 2 }, ondemand: { min: 2, max: 6 }, spot: { min: 2, max: 12 } }],
    [{ min: 1, max: 3 }, { spotPercentAboveBase: 0 }, { ondemand: { min: 1, max: 3 } }],
    [{ min: 2, max: 8 }, { spotPercentAboveBase: 100 }, { spot: { min: 2, max: 8 } }],
  ])('capacity %j, purchase %j', (capacity, purchase, expected) => {
    const p = props({ capacity, purchase, zones: ZONES });
    const { json, endpoint } = build(p);
    expect(autoscalerBounds(json)).toEqual(expected);
    // Estimate ↔ resources: the same plan the estimate prices.
    const plan = planFleet(resolveGpuEndpoint(p, 'gcp'));
    const atMin = classes(plan.atMin);
    const atMax = classes(plan.atMax);
    for (const [cls, b] of Object.entries(autoscalerBounds(json))) {
      expect(b.min).toBe(atMin[cls as keyof typeof atMin]);
      expect(b.max).toBe(atMax[cls as keyof typeof atMax]);
    }
    expect(Object.values(autoscalerBounds(json)).reduce((n, b) => n + b.max, 0)).toBe(plan.max);
    expect(Object.values(autoscalerBounds(json)).reduce((n, b) => n + b.min, 0)).toBe(plan.min);
    expect(warningsOf(endpoint).filter((w) => w.includes('gcp-group-floor'))).toEqual([]);
  });

  test('min 2 max 10, 1 reserved, 1 on-demand base, 70% spot: a spot share of 0 at min becomes 1 (per-instance metric floor), with a warning', () => {
    const p = props({ capacity: { min: 2, max: 10 }, purchase: { reserved: 1, onDemandBase: 1, spotPercentAboveBase: 70 } });
    const plan = planFleet(resolveGpuEndpoint(p, 'gcp'));
    expect(plan.atMin).toEqual({ reserved: 1, onDemand: 1, spot: 0 });
    expect(plan.atMax).toEqual({ reserved: 1, onDemand: 4, spot: 5 }); // 8 above base: ceil(8 × 30%) = 3 on-demand, 5 spot
    const { json, endpoint } = build(p);
    expect(autoscalerBounds(json)).toEqual({ reserved: { min: 1, max: 1 }, ondemand: { min: 1, max: 4 }, spot: { min: 1, max: 5 } });
    expect(endpoint.groups.map((g) => [g.capacity, g.bounds.planMin, g.bounds.minReplicas])).toEqual([
      ['reserved', 1, 1],
      ['on-demand', 1, 1],
      ['spot', 0, 1],
    ]);
    const warnings = warningsOf(endpoint).filter((w) => !w.startsWith('[ai-stack:gcp-endpoint-own-network]'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('[ai-stack:gcp-group-floor] the spot group keeps one replica');
    expect(warnings[0]).toContain('at least 3 replicas (plan: 2)');
  });

  test('groupBounds: max always equals the plan; min is the plan raised to 1', () => {
    for (const [min, max, reserved, base, spot] of [
      [0, 5, 0, 0, 70],
      [3, 9, 1, 0, 60],
      [10, 40, 4, 2, 80],
    ]) {
      const plan = planFleet(
        resolveGpuEndpoint(props({ capacity: { min, max }, purchase: { reserved, onDemandBase: base, spotPercentAboveBase: spot } }), 'gcp'),
      );
      const bounds = groupBounds(plan);
      expect(bounds.reduce((n, b) => n + b.maxReplicas, 0)).toBe(max);
      for (const b of bounds) expect(b.minReplicas).toBe(Math.max(b.planMin, 1));
    }
  });
});

describe('scaling signal', () => {
  test('GPU utilization (Ops Agent, per instance, GPU 0): the per-GPU target, cool-down for model load', () => {
    const { json } = build(props({ scaling: { targetGpuUtilization: 60 }, startupGraceSeconds: 1200 }));
    for (const a of Object.values(resourcesOf(json, 'google_compute_region_autoscaler'))) {
      expect(a.autoscaling_policy.metric).toEqual([
        { name: GPU_UTILIZATION_METRIC, filter: 'resource.type = "gce_instance" AND metric.labels.gpu_number = "0"', target: 60, type: 'GAUGE' },
      ]);
      expect(a.autoscaling_policy.cooldown_period).toBe(1200);
      expect(a.autoscaling_policy.mode).toBe('ON');
      expect(a.autoscaling_policy.scale_in_control).toEqual({ max_scaled_in_replicas: { fixed: 1 }, time_window_sec: 600 });
    }
    expect(GPU_UTILIZATION_METRIC).toBe('agent.googleapis.com/gpu/utilization');
  });

  test.each([2, 8])('%i GPUs per replica: one series per VM (GPU 0) held at the plain per-GPU target', (gpus) => {
    const { json } = build(
      gpus === 8
        ? props({ accelerator: Accelerator.NVIDIA_H100, acceleratorsPerReplica: 8, capacity: { min: 1, max: 2 }, purchase: { onDemandBase: 1, spotPercentAboveBase: 0 } })
        : props({ acceleratorsPerReplica: 2, scaling: { targetGpuUtilization: 70 } }),
    );
    const autoscalers = Object.values(resourcesOf(json, 'google_compute_region_autoscaler'));
    expect(autoscalers.length).toBeGreaterThan(0);
    for (const a of autoscalers) {
      expect(a.autoscaling_policy.metric).toEqual([{ name: GPU_UTILIZATION_METRIC, filter: GPU_UTILIZATION_FILTER, target: 70, type: 'GAUGE' }]);
    }
    // The autoscaler filter grammar: selectors joined by AND, each a direct equality; no resource labels on a per-instance metric.
    for (const selector of GPU_UTILIZATION_FILTER.split(' AND ')) {
      expect(selector).toMatch(/^(resource\.type|metric\.labels\.[a-z_]+) = "[^"]*"$/);
    }
  });
});

describe('off-peak window', () => {
  const offPeak = { start: '0 20 * * 1-5', end: '0 7 * * 1-5', min: 2, timeZone: 'Europe/Berlin' };
  const { json, endpoint } = build(props({ scaling: { offPeak } }));

  test('the autoscaler minimum is the off-peak share; peak hours are a scaling schedule raising it back', () => {
    // min 4 splits 1 reserved / 2 on-demand / 1 spot; off-peak min 2 splits 1 reserved / 1 on-demand / 0 spot.
    const onDemand = resourceNamed(json, 'google_compute_region_autoscaler', 'test-llm-ondemand').config.autoscaling_policy;
    expect(onDemand.min_replicas).toBe(1);
    expect(onDemand.max_replicas).toBe(6);
    expect(onDemand.scaling_schedules).toEqual([
      {
        name: 'peak-1',
        description: expect.stringContaining('Peak hours'),
        schedule: '0 7 * * 1-5', // off-peak ends 07:00 Mon-Fri ...
        duration_sec: 13 * 3600, // ... and starts again at 20:00
        min_required_replicas: 2,
        time_zone: 'Europe/Berlin',
      },
    ]);
  });

  test('groups whose share does not drop off-peak get no schedule', () => {
    for (const name of ['test-llm-reserved', 'test-llm-spot']) {
      const policy = resourceNamed(json, 'google_compute_region_autoscaler', name).config.autoscaling_policy;
      expect(policy).not.toHaveProperty('scaling_schedules');
      expect(policy.min_replicas).toBe(1);
    }
    // Spot share off-peak is 0 but the group keeps one VM: the fleet keeps 3, not 2.
    expect(warningsOf(endpoint).some((w) => w.startsWith('[ai-stack:gcp-offpeak-floor] off-peak the fleet keeps 3 replicas'))).toBe(true);
  });
});

describe('peakSchedules (off-peak → peak-hour schedules)', () => {
  test('weekday nights: one schedule over the weekdays', () => {
    expect(peakSchedules('0 20 * * 1-5', '0 7 * * 1-5')).toEqual({ schedules: [{ name: 'peak-1', schedule: '0 7 * * 1-5', durationSec: 46800 }] });
  });

  test('every night', () => {
    expect(peakSchedules('30 22 * * *', '0 6 * * *')).toEqual({ schedules: [{ name: 'peak-1', schedule: '0 6 * * 0-6', durationSec: 16.5 * 3600 }] });
  });

  test('weekends off: peak from Monday 07:00 to Friday 19:00 in one window', () => {
    expect(peakSchedules('0 19 * * 5', '0 7 * * 1')).toEqual({ schedules: [{ name: 'peak-1', schedule: '0 7 * * 1', durationSec: (4 * 24 + 12) * 3600 }] });
  });

  test('nights off plus whole weekends: windows of different length become separate schedules', () => {
    // Off-peak from 20:00 every day; peak from 08:00 on weekdays only.
    expect(peakSchedules('0 20 * * *', '0 8 * * 1-5')).toEqual({ schedules: [{ name: 'peak-1', schedule: '0 8 * * 1-5', durationSec: 12 * 3600 }] });
    // Off-peak from 22:00 Sunday to Thursday; peak from 06:00 every day: Friday 06:00 runs to Sunday 22:00.
    expect(peakSchedules('0 22 * * 0-4', '0 6 * * *')).toEqual({
      schedules: [
        { name: 'peak-1', schedule: '0 6 * * 1-4', durationSec: 16 * 3600 },
        { name: 'peak-2', schedule: '0 6 * * 5', durationSec: 64 * 3600 },
      ],
    });
    expect(peakSchedules('0 22 * * 0-4,6', '0 6 * * *')).toEqual({
      schedules: [
        { name: 'peak-1', schedule: '0 6 * * 0-4', durationSec: 16 * 3600 },
        { name: 'peak-2', schedule: '0 6 * * 5', durationSec: 40 * 3600 }, // Friday 06:00 to Saturday 22:00
      ],
    });
  });

  test('rejects day-of-month/month patterns, clashes and windows under five minutes', () => {
    expect(peakSchedules('0 20 1 * *', '0 7 * * *')).toEqual({ problem: { field: 'start', message: expect.stringContaining("day-of-month and month must be '*'") } });
    expect(peakSchedules('0 20 * * *', '0 20 * * *')).toEqual({ problem: { field: 'end', message: expect.stringContaining('same minute') } });
    expect(peakSchedules('2 7 * * *', '0 7 * * *')).toEqual({ problem: { field: 'start', message: expect.stringContaining('peak window of 2 minutes') } });
  });
});

describe('internal load balancer', () => {
  const { json } = build(props({ server: { image: 'vllm/vllm-openai:v0.6.3', model: 'm', port: 9000, healthPath: '/ready' } }));

  test('one backend service over every group, on the health check', () => {
    const bs = onlyResource(json, 'google_compute_region_backend_service').config;
    const hc = onlyResource(json, 'google_compute_region_health_check');
    expect(bs.load_balancing_scheme).toBe('INTERNAL');
    expect(bs.protocol).toBe('TCP');
    expect(bs.health_checks).toEqual([ref(`google_compute_region_health_check.${hc.name}`, 'id')]);
    expect(hc.config.http_health_check).toEqual({ port: 9000, request_path: '/ready' });
    const groupRefs = ['test-llm-reserved', 'test-llm-ondemand', 'test-llm-spot'].map((n) => ref(resourceNamed(json, 'google_compute_region_instance_group_manager', n).address, 'instance_group'));
    expect(bs.backend.map((b: any) => b.group)).toEqual(groupRefs);
    for (const b of bs.backend) expect(b.balancing_mode).toBe('CONNECTION');
  });

  test('internal forwarding rule on the server port at a reserved internal address; url names it', () => {
    const fr = onlyResource(json, 'google_compute_forwarding_rule').config;
    const address = onlyResource(json, 'google_compute_address');
    const bs = onlyResource(json, 'google_compute_region_backend_service');
    expect(fr).toMatchObject({ load_balancing_scheme: 'INTERNAL', ip_protocol: 'TCP', ports: ['9000'], allow_global_access: false });
    expect(fr.backend_service).toBe(ref(`google_compute_region_backend_service.${bs.name}`, 'id'));
    expect(fr.ip_address).toBe(ref(`google_compute_address.${address.name}`, 'address'));
    expect(address.config).toMatchObject({ address_type: 'INTERNAL', purpose: 'GCE_ENDPOINT' });
    expect(fr).not.toHaveProperty('network_tier');
  });

  test('url is http://<internal address>:<port>', () => {
    const { stack } = gcpTestStack();
    const e = new GpuEndpoint(stack, 'Llm', props({ server: { image: 'vllm/vllm-openai:v0.6.3', model: 'm', port: 9000 } }));
    new TerraformOutput(stack, 'url', { value: e.url });
    const j = synthJson(stack);
    const address = onlyResource(j, 'google_compute_address');
    expect((j.output as any).url.value).toBe(`http://${ref(`google_compute_address.${address.name}`, 'address')}:9000`);
  });
});

describe('network and security', () => {
  test('default: custom-mode VPC, subnetwork with Private Google Access, Cloud Router and NAT', () => {
    const { json } = build(props());
    expect(onlyResource(json, 'google_compute_network').config).toMatchObject({ name: 'test-llm-net', auto_create_subnetworks: false });
    expect(onlyResource(json, 'google_compute_subnetwork').config).toMatchObject({ ip_cidr_range: '10.10.0.0/20', private_ip_google_access: true, region: 'us-central1' });
    expect(onlyResource(json, 'google_compute_router').config.name).toBe('test-llm-router');
    expect(onlyResource(json, 'google_compute_router_nat').config).toMatchObject({ nat_ip_allocate_option: 'AUTO_ONLY', source_subnetwork_ip_ranges_to_nat: 'LIST_OF_SUBNETWORKS' });
  });

  test('firewall admits the server port only from health-check ranges and the clients, only to the endpoint VMs', () => {
    const { json } = build(props({ subnetCidr: '10.20.0.0/22' }));
    const hc = resourceNamed(json, 'google_compute_firewall', 'test-llm-allow-health-checks').config;
    const clients = resourceNamed(json, 'google_compute_firewall', 'test-llm-allow-clients').config;
    expect(hc.source_ranges).toEqual([...HEALTH_CHECK_RANGES]);
    expect(hc.source_ranges).toEqual(['35.191.0.0/16', '130.211.0.0/22']);
    expect(clients.source_ranges).toEqual(['10.20.0.0/22']);
    for (const rule of [hc, clients]) {
      expect(rule.direction).toBe('INGRESS');
      expect(rule.allow).toEqual([{ protocol: 'tcp', ports: ['8000'] }]);
      expect(rule.target_tags).toEqual(['ai-stack-test-llm']);
    }
    expect(Object.keys(resourcesOf(json, 'google_compute_firewall'))).toHaveLength(2);
  });

  test('existing network: no network resources created, the given links are used, client range read from the subnetwork', () => {
    const network = {
      networkSelfLink: 'projects/shared-vpc/global/networks/prod',
      subnetworkSelfLink: 'projects/shared-vpc/regions/us-central1/subnetworks/gpu',
    };
    const { json, endpoint } = build(props({ network }));
    for (const type of ['google_compute_network', 'google_compute_subnetwork', 'google_compute_router', 'google_compute_router_nat']) {
      expect(resourcesOf(json, type)).toEqual({});
    }
    expect(endpoint.privateNetwork).toBeUndefined();
    const template = templateByPrefix(json, 'test-llm-spot-').config;
    expect(template.network_interface[0]).toMatchObject({ network: network.networkSelfLink, subnetwork: network.subnetworkSelfLink });
    expect(onlyResource(json, 'google_compute_forwarding_rule').config).toMatchObject({ network: network.networkSelfLink, subnetwork: network.subnetworkSelfLink });
    const subnet = Object.entries(dataSourcesOf(json, 'google_compute_subnetwork'));
    expect(subnet).toHaveLength(1);
    expect(subnet[0][1].self_link).toBe(network.subnetworkSelfLink);
    expect(resourceNamed(json, 'google_compute_firewall', 'test-llm-allow-clients').config.source_ranges).toEqual([ref(`data.google_compute_subnetwork.${subnet[0][0]}`, 'ip_cidr_range')]);
    expect(unresolvedReferences(json)).toEqual([]);
  });

  test('least-privilege service account: log and metric writer on the project, reader on the image repository only', () => {
    const { json, endpoint } = build(props());
    const sa = onlyResource(json, 'google_service_account');
    expect(sa.config.account_id).toBe('test-llm-gpu');
    const member = ref(`google_service_account.${sa.name}`, 'member');
    const config = Object.entries(dataSourcesOf(json, 'google_client_config'))[0][0];
    expect(Object.values(resourcesOf(json, 'google_project_iam_member')).map((m) => [m.role, m.member, m.project]).sort()).toEqual([
      ['roles/logging.logWriter', member, ref(`data.google_client_config.${config}`, 'project')],
      ['roles/monitoring.metricWriter', member, ref(`data.google_client_config.${config}`, 'project')],
    ]);
    expect(onlyResource(json, 'google_artifact_registry_repository_iam_member').config).toEqual({
      project: 'models-proj',
      location: 'us',
      repository: 'serving',
      role: 'roles/artifactregistry.reader',
      member,
    });
    expect(templateByPrefix(json, 'test-llm-spot-').config.service_account.email).toBe(ref(`google_service_account.${sa.name}`, 'email'));
    expect(endpoint.serviceAccount).toBeDefined();
    // No role anywhere is broader than these three.
    const roles = allRoles(json);
    expect(roles.sort()).toEqual(['roles/artifactregistry.reader', 'roles/logging.logWriter', 'roles/monitoring.metricWriter']);
  });

  test('own service account: nothing created or granted; image outside Artifact Registry: no reader grant', () => {
    const { json, endpoint } = build(
      props({ serviceAccountEmail: 'llm@ops-proj.iam.gserviceaccount.com', project: 'p', server: { image: 'vllm/vllm-openai:v0.6.3', model: 'm' } }),
    );
    expect(resourcesOf(json, 'google_service_account')).toEqual({});
    expect(allRoles(json)).toEqual([]);
    expect(endpoint.serviceAccount).toBeUndefined();
    expect(templateByPrefix(json, 'test-llm-ondemand-').config.service_account.email).toBe('llm@ops-proj.iam.gserviceaccount.com');
    expect(templateByPrefix(json, 'test-llm-ondemand-').config.metadata['startup-script']).not.toContain('configure-docker');
  });
});

describe('server secrets (Secret Manager)', () => {
  const secrets = { HF_TOKEN: 'hf-token', API_KEY: 'projects/secrets-proj/secrets/vllm-api-key' };

  test('the service account can read each named secret and nothing more', () => {
    const { json, endpoint } = build(props({ serverSecrets: secrets }));
    const sa = onlyResource(json, 'google_service_account');
    const member = ref(`google_service_account.${sa.name}`, 'member');
    const config = Object.entries(dataSourcesOf(json, 'google_client_config'));
    expect(config).toHaveLength(1); // shared with the project grants
    const grants = Object.values(resourcesOf(json, 'google_secret_manager_secret_iam_member'));
    expect(grants.map((g) => [g.project, g.secret_id, g.role, g.member]).sort()).toEqual([
      // A bare name is a secret of the stack's project.
      [ref(`data.google_client_config.${config[0][0]}`, 'project'), 'hf-token', 'roles/secretmanager.secretAccessor', member],
      ['secrets-proj', 'vllm-api-key', 'roles/secretmanager.secretAccessor', member],
    ]);
    expect(Object.keys(endpoint.secretGrants)).toEqual(['API_KEY', 'HF_TOKEN']);
    // Templates (so VMs) come after the grants their boot needs.
    const grantAddresses = Object.keys(resourcesOf(json, 'google_secret_manager_secret_iam_member')).map((n) => `google_secret_manager_secret_iam_member.${n}`);
    for (const t of Object.values(resourcesOf(json, 'google_compute_instance_template'))) expect([...t.depends_on].sort()).toEqual(grantAddresses.sort());
    expect(allRoles(json).sort()).toEqual([
      'roles/artifactregistry.reader',
      'roles/logging.logWriter',
      'roles/monitoring.metricWriter',
      'roles/secretmanager.secretAccessor',
      'roles/secretmanager.secretAccessor',
    ]);
    expect(unresolvedReferences(json)).toEqual([]);
  });

  test('boot reads each secret (latest) into a root-only env file, passed with --env-file; no value in the metadata', () => {
    const { json } = build(props({ project: 'app-proj', serverSecrets: secrets }));
    const script: string = templateByPrefix(json, 'test-llm-ondemand-').config.metadata['startup-script'];
    expect(script).toContain(`read_secret 'API_KEY' 'projects/secrets-proj/secrets/vllm-api-key/versions/latest'`);
    expect(script).toContain(`read_secret 'HF_TOKEN' 'projects/app-proj/secrets/hf-token/versions/latest'`);
    expect(script).toContain('( umask 077 && : > /run/ai-stack/server.env )');
    expect(script).toContain(`--env-file ${SERVER_ENV_FILE} \\\n`);
    // Secrets are read before the server starts.
    expect(script.indexOf('read_secret \'HF_TOKEN\'')).toBeLessThan(script.indexOf('docker run'));
    // props.project names the bare secret's project: no provider lookup.
    expect(dataSourcesOf(json, 'google_client_config')).toEqual({});
  });

  test('a bare name without props.project: the script names the provider project through a Terraform reference', () => {
    const { json } = build(props({ serverSecrets: { HF_TOKEN: 'hf-token' } }));
    const config = Object.keys(dataSourcesOf(json, 'google_client_config'))[0];
    const script: string = templateByPrefix(json, 'test-llm-spot-').config.metadata['startup-script'];
    expect(script).toContain(`read_secret 'HF_TOKEN' 'projects/\${data.google_client_config.${config}.project}/secrets/hf-token/versions/latest'`);
    expect(unresolvedReferences(json)).toEqual([]);
  });

  test('own service account: still granted access to the secrets (and nothing else)', () => {
    const { json } = build(props({ serviceAccountEmail: 'llm@ops-proj.iam.gserviceaccount.com', project: 'app-proj', serverSecrets: { HF_TOKEN: 'hf-token' } }));
    expect(resourcesOf(json, 'google_service_account')).toEqual({});
    expect(onlyResource(json, 'google_secret_manager_secret_iam_member').config).toEqual({
      project: 'app-proj',
      secret_id: 'hf-token',
      role: 'roles/secretmanager.secretAccessor',
      member: 'serviceAccount:llm@ops-proj.iam.gserviceaccount.com',
    });
    expect(allRoles(json)).toEqual(['roles/secretmanager.secretAccessor']);
  });

  test('a token secret id (a secret of the same stack) is passed through to the grant and the script', () => {
    const { stack } = gcpTestStack();
    const secretId = Token.asString(Lazy.stringValue({ produce: () => '${google_secret_manager_secret.hf.id}' }));
    const endpoint = new GpuEndpoint(stack, 'Llm', props({ serverSecrets: { HF_TOKEN: secretId } }));
    const json = synthJson(stack);
    expect(onlyResource(json, 'google_secret_manager_secret_iam_member').config.secret_id).toBe('${google_secret_manager_secret.hf.id}');
    expect(onlyResource(json, 'google_secret_manager_secret_iam_member').config).not.toHaveProperty('project');
    const script: string = templateByPrefix(json, 'test-llm-spot-').config.metadata['startup-script'];
    expect(script).toContain(`read_secret 'HF_TOKEN' '\${google_secret_manager_secret.hf.id}/versions/latest'`);
    expect(endpoint.secretGrants.HF_TOKEN).toBeDefined();
  });

  describe('the boot script, run with stand-ins for gcloud, docker and the GPU tools', () => {
    // An image outside Artifact Registry: the script's only gcloud calls are the secret reads.
    const { json } = build(
      props({ server: { image: 'vllm/vllm-openai:v0.6.3', model: 'm' }, serverSecrets: { HF_TOKEN: 'projects/p/secrets/hf-token', API_KEY: 'projects/p/secrets/api-key' } }),
    );
    const script = fromTerraform(templateByPrefix(json, 'test-llm-spot-').config.metadata['startup-script']);

    /** Runs the script with its root paths moved into a temp dir and stub commands first on PATH. */
    function boot(gcloud: string): { status: number | null; stderr: string; docker: string; envFile: string; envMode: string; envLeft: boolean } {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gcp-boot-'));
      const bin = path.join(dir, 'bin');
      fs.mkdirSync(bin);
      const stub = (name: string, body: string) => fs.writeFileSync(path.join(bin, name), `#!/bin/bash\n${body}\n`, { mode: 0o755 });
      for (const name of ['nvidia-smi', 'systemctl', 'nvidia-ctk', 'sleep']) stub(name, 'exit 0');
      stub('gcloud', gcloud);
      stub(
        'docker',
        [
          `echo "$*" >> ${dir}/docker.log`,
          'if [ "$1" = run ]; then',
          '  while [ $# -gt 0 ]; do if [ "$1" = --env-file ]; then cp "$2" ' + dir + '/env-copy; stat -c %a "$2" > ' + dir + '/env-mode; fi; shift; done',
          'fi',
        ].join('\n'),
      );
      const moved = script.split('/run/ai-stack').join(`${dir}/run`).split(MODEL_CACHE_HOST_DIR).join(`${dir}/cache`);
      // stdin from /dev/null: bash reads ~/.bashrc when its stdin is a socket (as Node's pipes are).
      const result = spawnSync('bash', ['-c', moved], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: `${bin}:/usr/bin:/bin`, HOME: dir } });
      const read = (f: string) => (fs.existsSync(path.join(dir, f)) ? fs.readFileSync(path.join(dir, f), 'utf8') : '');
      const outcome = {
        status: result.status,
        stderr: result.stderr,
        docker: read('docker.log'),
        envFile: read('env-copy'),
        envMode: read('env-mode').trim(),
        envLeft: fs.existsSync(path.join(dir, 'run', 'server.env')),
      };
      fs.rmSync(dir, { recursive: true, force: true });
      return outcome;
    }

    test('each secret becomes one NAME=value line of a 0600 file handed to docker run, then removed', () => {
      const r = boot(['[ "$1 $2 $3" = "secrets versions access" ] || exit 2', 'case "$4" in', "  */hf-token/versions/latest) printf 'hf_abc' ;;", "  */api-key/versions/latest) printf 'k=v with spaces\n' ;;", '  *) exit 3 ;;', 'esac'].join('\n'));
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.envFile).toBe('API_KEY=k=v with spaces\nHF_TOKEN=hf_abc\n');
      expect(r.envMode).toBe('600');
      expect(r.envLeft).toBe(false);
      expect(r.docker).toContain('run --detach --name model-server');
      expect(r.docker).toContain('--env-file');
    });

    test('a secret that cannot be read stops the boot before docker run', () => {
      const r = boot('echo "PERMISSION_DENIED" >&2; exit 1');
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain('cannot read projects/p/secrets/api-key/versions/latest for API_KEY (10/10)');
      expect(r.stderr).toContain('roles/secretmanager.secretAccessor');
      expect(r.docker).not.toContain('run ');
    });

    test('an empty or multi-line secret stops the boot before docker run', () => {
      for (const value of ["printf ''", "printf 'a\\nb'"]) {
        const r = boot(value);
        expect(r.status).not.toBe(0);
        expect(r.stderr).toContain('is empty or has several lines');
        expect(r.docker).not.toContain('run ');
      }
    });
  });

  test.each([
    ['env name with a hyphen', { 'HF-TOKEN': 'hf-token' }, 'props.serverSecrets.HF-TOKEN', "must be an environment variable name: letters, digits and '_'"],
    ['clash with server.env', { VLLM_LOGGING_LEVEL: 'level' }, 'props.serverSecrets.VLLM_LOGGING_LEVEL', 'is also set in server.env'],
    ['version suffix', { HF_TOKEN: 'projects/p/secrets/hf-token/versions/3' }, 'props.serverSecrets.HF_TOKEN', "without a version (replicas read 'latest'); got 'projects/p/secrets/hf-token/versions/3'"],
    ['not a secret id', { HF_TOKEN: 'hf token' }, 'props.serverSecrets.HF_TOKEN', "must name a Secret Manager secret as 'projects/<project>/secrets/<name>'"],
  ])('rejects %s', (_label, serverSecrets, problemPath, message) => {
    const error = designErrorOf(() => build(props({ serverSecrets })));
    expect(error.problems.find((p) => p.path === problemPath)?.message).toContain(message);
  });

  test('parseSecretRef', () => {
    expect(parseSecretRef('hf-token')).toEqual({ secretId: 'hf-token' });
    expect(parseSecretRef('projects/my-proj/secrets/hf_token')).toEqual({ project: 'my-proj', secretId: 'hf_token' });
    expect(parseSecretRef('projects/123456789/secrets/x')).toEqual({ project: '123456789', secretId: 'x' });
    expect(parseSecretRef('projects/p/secrets/x/versions/latest')).toBeUndefined();
    expect(parseSecretRef('')).toBeUndefined();
  });
});

function allRoles(json: TerraformJson): string[] {
  return Object.entries(json.resource ?? {})
    .filter(([type]) => type.includes('iam'))
    .flatMap(([, byName]) => Object.values(byName).map((c) => String(c.role)));
}

describe('references and determinism', () => {
  test.each([
    ['default network, reservation, off-peak', props({ scaling: { offPeak: { start: '0 20 * * 1-5', end: '0 7 * * 1-5', min: 2 } } })],
    ['no reservation, all on-demand', props({ zones: undefined, purchase: { spotPercentAboveBase: 0 } })],
    ['existing network and service account', props({ network: { networkSelfLink: 'n', subnetworkSelfLink: 's' }, serviceAccountEmail: 'a@b.iam.gserviceaccount.com' })],
  ])('every ${...} reference resolves: %s', (_label, p) => {
    const { json } = build(p);
    expect(allReferences(json).length).toBeGreaterThan(10);
    expect(unresolvedReferences(json)).toEqual([]);
  });

  test('user values cannot inject Terraform interpolation into the startup script', () => {
    const { json } = build(props({ server: { image: 'vllm/vllm-openai:v0.6.3', model: 'm', args: ['--chat-template', '${HOME}/t %{ if x }'], env: { A: "it's ${B}" } } }));
    const script: string = templateByPrefix(json, 'test-llm-spot-').config.metadata['startup-script'];
    expect(script).toContain(`'--chat-template' '$\${HOME}/t %%{ if x }'`);
    expect(script).toContain(`--env 'A=it'\\''s $\${B}'`);
    expect(unresolvedReferences(json)).toEqual([]);
  });

  test('the checker catches an unresolved reference and a bare interpolation', () => {
    const broken: TerraformJson = {
      resource: { google_a: { x: { v: '${google_b.y.id}', w: '${HOME}', ok: '$${HOME}', f: '${tolist(google_a.x.z)}' } } },
    };
    expect(unresolvedReferences(broken)).toEqual(['resource.google_a.x.v: google_b.y', 'resource.google_a.x.w: HOME']);
  });

  test('synth is deterministic and writes a Terraform config to disk', () => {
    const a = Testing.synth(gcpStackWith(props()));
    const b = Testing.synth(gcpStackWith(props()));
    expect(a).toEqual(b);
    const outdir = Testing.fullSynth(gcpStackWith(props()));
    const written = JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', 'test', 'cdk.tf.json'), 'utf8'));
    expect(Object.keys(written.resource.google_compute_region_autoscaler)).toHaveLength(3);
  });
});

function gcpStackWith(p: GpuEndpointProps) {
  const { stack } = gcpTestStack();
  new GpuEndpoint(stack, 'Llm', p);
  return stack;
}

describe('invalid props throw a DesignError naming the path', () => {
  const cases: [string, Partial<GpuEndpointProps>, string, string][] = [
    ['reserved > max', { capacity: { min: 1, max: 2 }, purchase: { reserved: 3 } }, 'props.purchase.reserved', 'must be <= capacity.max (3 > 2)'],
    ['H100 x1 is not a GCP shape', { accelerator: Accelerator.NVIDIA_H100, acceleratorsPerReplica: 1 }, 'props.acceleratorsPerReplica', 'nvidia-h100 on gcp comes 8 per instance, not 1'],
    ['A10G is not offered on GCP', { accelerator: Accelerator.NVIDIA_A10G }, 'props.accelerator', "nvidia-a10g is not offered on gcp"],
    ['zone of another region', { zones: ['us-central1-a', 'europe-west4-b'] }, 'props.zones[1]', "must be a zone of us-central1 such as 'us-central1-a' (got 'europe-west4-b')"],
    ['bad region', { region: 'US Central' }, 'props.region', "must be a Compute Engine region such as 'us-central1' (got 'US Central')"],
    ['subnetCidr with an existing network', { network: { networkSelfLink: 'n', subnetworkSelfLink: 's' }, subnetCidr: '10.0.0.0/24' }, 'props.subnetCidr', 'applies only to the network this construct creates'],
    ['bad client range', { clientCidrs: ['10.0.0.0/33'] }, 'props.clientCidrs[0]', "must be an IPv4 address or CIDR such as '10.0.0.0/8' (got '10.0.0.0/33')"],
    ['grace out of range', { startupGraceSeconds: 5000 }, 'props.startupGraceSeconds', 'between 60 and 3600 seconds (got 5000)'],
    ['monthly off-peak', { scaling: { offPeak: { start: '0 20 1 * *', end: '0 7 2 * *', min: 1 } } }, 'props.scaling.offPeak.start', "day-of-month and month must be '*' on GCP"],
    ['misspelled prop', { zone: 'us-central1-a' } as Partial<GpuEndpointProps>, 'props.zone', "unknown key (did you mean 'zones'?)"],
    ['bad env name', { server: { image: 'a/b:1', model: 'm', env: { 'NOT-VALID': 'x' } } }, 'props.server.env.NOT-VALID', 'must be an environment variable name'],
    ['unknown time zone', { scaling: { offPeak: { start: '0 20 * * *', end: '0 7 * * *', min: 2, timeZone: 'Europe/Atlantis' } } }, 'props.scaling.offPeak.timeZone', "must be an IANA time zone name such as 'Europe/Berlin', 'America/New_York' or 'UTC' (got 'Europe/Atlantis')"],
    ['UTC offset as time zone', { scaling: { offPeak: { start: '0 20 * * *', end: '0 7 * * *', min: 2, timeZone: '+01:00' } } }, 'props.scaling.offPeak.timeZone', "(got '+01:00')"],
    ['time zone misspelled in case', { scaling: { offPeak: { start: '0 20 * * *', end: '0 7 * * *', min: 2, timeZone: 'europe/berlin' } } }, 'props.scaling.offPeak.timeZone', "must be spelled as in the tz database: 'Europe/Berlin' (got 'europe/berlin')"],
    // The neutral rule: off-peak never goes below the reservation (so the reserved group never scales off-peak).
    ['off-peak below the reservation', { purchase: { reserved: 2, onDemandBase: 1 }, scaling: { offPeak: { start: '0 20 * * *', end: '0 7 * * *', min: 1 } } }, 'props.scaling.offPeak.min', 'must be >= purchase.reserved (1 < 2)'],
  ];

  test.each(cases)('%s', (_label, overrides, problemPath, message) => {
    const error = designErrorOf(() => build(props(overrides)));
    const problem = error.problems.find((p) => p.path === problemPath);
    expect(problem).toBeDefined();
    expect(problem!.message).toContain(message);
    expect(error.message).toContain(`${problemPath}: `);
  });

  test('every problem is reported at once', () => {
    const error = designErrorOf(() => build(props({ region: 'nowhere', startupGraceSeconds: 1, capacity: { min: 5, max: 2 } })));
    expect(error.problems.map((p) => p.path).sort()).toEqual(['props.capacity.max', 'props.region', 'props.startupGraceSeconds']);
  });
});

describe('unresolved tokens where GCP needs literals', () => {
  const stringToken = () => Token.asString(Lazy.stringValue({ produce: () => 'x' }));
  const numberToken = () => Token.asNumber(Lazy.numberValue({ produce: () => 2 }));

  test.each([
    ['server.image', (t: string) => ({ server: { image: t, model: 'm' } })],
    ['server.model', (t: string) => ({ server: { image: 'vllm/vllm-openai:v0.6.3', model: t } })],
    ['server.args[1]', (t: string) => ({ server: { image: 'vllm/vllm-openai:v0.6.3', model: 'm', args: ['--max-model-len', t] } })],
    ['server.env.HF_TOKEN', (t: string) => ({ server: { image: 'vllm/vllm-openai:v0.6.3', model: 'm', env: { HF_TOKEN: t } } })],
  ])('%s: the startup script is rendered at synth, so a token is rejected, pointing to serverSecrets', (field, make) => {
    const token = stringToken();
    const error = designErrorOf(() => build(props(make(token) as Partial<GpuEndpointProps>)));
    const problem = error.problems.find((p) => p.path === `props.${field}`);
    expect(problem?.message).toContain("must be a literal, not an unresolved token: it is written into the replicas' startup script, which is rendered at synth");
    expect(problem?.message).toContain('use serverSecrets');
    expect(error.problems).toHaveLength(1);
  });

  test('a list token as server.args is rejected as a whole', () => {
    const error = designErrorOf(() => build(props({ server: { image: 'vllm/vllm-openai:v0.6.3', model: 'm', args: Token.asList(stringToken()) } })));
    expect(error.problems.map((p) => p.path)).toEqual(['props.server.args']);
    expect(error.problems[0].message).toContain("must be a literal, not an unresolved token: it is written into the replicas' startup script");
  });

  test.each([
    ['capacity.min', (n: number) => ({ capacity: { min: n, max: 12 } })],
    ['capacity.max', (n: number) => ({ capacity: { min: 4, max: n } })],
    ['capacity.expectedAverage', (n: number) => ({ capacity: { min: 4, max: 12, expectedAverage: n } })],
    ['purchase.reserved', (n: number) => ({ purchase: { reserved: n } })],
    ['purchase.onDemandBase', (n: number) => ({ purchase: { onDemandBase: n } })],
    ['purchase.spotPercentAboveBase', (n: number) => ({ purchase: { spotPercentAboveBase: n } })],
    ['acceleratorsPerReplica', (n: number) => ({ acceleratorsPerReplica: n })],
    ['scaling.offPeak.min', (n: number) => ({ scaling: { offPeak: { start: '0 20 * * *', end: '0 7 * * *', min: n } } })],
    ['server.port', (n: number) => ({ server: { image: 'vllm/vllm-openai:v0.6.3', model: 'm', port: n } })],
  ])('%s: a number token is rejected with its path instead of producing an empty fleet', (field, make) => {
    const error = designErrorOf(() => build(props(make(numberToken()) as Partial<GpuEndpointProps>)));
    // (The neutral accelerator-offering rule also reads a token acceleratorsPerReplica as a count; it is reported by the same path.)
    expect([...new Set(error.problems.map((p) => p.path))]).toEqual([`props.${field}`]);
    const problem = error.problems.find((p) => p.message.startsWith('must be a literal'));
    expect(problem?.message).toMatch(/^must be a literal(, not an unresolved token| number, not an unresolved token)/);
    // The purchase numbers are needed on every cloud; the bounds only where the fleet is split over groups, as on GCP.
    if (field.startsWith('purchase.') || field === 'acceleratorsPerReplica') expect(problem?.message).toContain('the purchase split (instance types, on-demand base, spot share, reservation size) is computed from it at synth');
    else if (field !== 'server.port') expect(problem?.message).toContain('the bounds of the managed instance groups and their autoscalers are computed from it at synth');
  });

  test('a token where Terraform resolves it (the boot image) is still accepted', () => {
    const { json } = build(props({ sourceImage: stringToken() }));
    expect(templateByPrefix(json, 'test-llm-spot-').config.disk[0].source_image).toBe('x');
  });
});

describe('startup-script helpers', () => {
  test('shellQuote, escapeTerraformTemplate, artifactRegistryRepo', () => {
    expect(shellQuote("a'b")).toBe(`'a'\\''b'`);
    expect(escapeTerraformTemplate('x ${y} %{z} $${w}')).toBe('x $${y} %%{z} $$${w}');
    // cdktf tokens the construct puts in the script are left for cdktf to resolve.
    expect(escapeTerraformTemplate('a ${TfToken[TOKEN.12]} ${b} ${TfToken[TOKEN.3]}%{c}')).toBe('a ${TfToken[TOKEN.12]} $${b} ${TfToken[TOKEN.3]}%%{c}');
    expect(artifactRegistryRepo('europe-west4-docker.pkg.dev/p-1/repo/img@sha256:abc')).toEqual({
      host: 'europe-west4-docker.pkg.dev',
      location: 'europe-west4',
      project: 'p-1',
      repository: 'repo',
    });
    expect(artifactRegistryRepo('ghcr.io/org/img:1')).toBeUndefined();
  });
});

describe('documentation and example design', () => {
  test('the example in docs/gcp/gpu-endpoint.md synthesizes and every reference resolves', () => {
    const markdown = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'gcp', 'gpu-endpoint.md'), 'utf8');
    const source = /```ts\n([\s\S]*?)```/.exec(markdown)![1];
    const { code } = require('@swc/core').transformSync(source, {
      jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
      module: { type: 'commonjs' },
    });
    const cdktf = require('cdktf');
    const apps: InstanceType<typeof cdktf.App>[] = [];
    const outdir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'gcp-doc-'));
    class DocApp extends cdktf.App {
      constructor() {
        super({ outdir, stackTraces: false });
        apps.push(this);
      }
      synth(): void {} // the test synthesizes below
    }
    const modules: Record<string, unknown> = {
      cdktf: { ...cdktf, App: DocApp },
      'ai-stack-constructs': require('../../lib/design'),
      'ai-stack-constructs/gcp': require('../../lib/gcp/gpu-endpoint'),
    };
    const docRequire = (id: string) => modules[id] ?? require(id);
    new Function('require', 'exports', 'module', code)(docRequire, {}, { exports: {} });
    expect(apps).toHaveLength(1);
    const stack = cdktf.TerraformStack.of(apps[0].node.findChild('inference'));
    const json = JSON.parse(Testing.synth(stack)) as TerraformJson;
    expect(unresolvedReferences(json)).toEqual([]);
    expect(Object.keys(resourcesOf(json, 'google_compute_region_autoscaler'))).toHaveLength(3);
    expect(resourceNamed(json, 'google_compute_region_autoscaler', 'inference-llm-ondemand').config.autoscaling_policy.scaling_schedules[0]).toMatchObject({
      schedule: '0 7 * * 1-5',
      duration_sec: 46800,
      min_required_replicas: 2,
    });
    expect((json.output as any)['llm-url'].value).toMatch(/^http:\/\/\$\{google_compute_address\.[\w]+\.address\}:8000$/);
    // The gated model's token: read access to the one secret, read at boot.
    expect(onlyResource(json, 'google_secret_manager_secret_iam_member').config).toMatchObject({ secret_id: 'hf-token', role: 'roles/secretmanager.secretAccessor' });
    const script: string = Object.values(resourcesOf(json, 'google_compute_instance_template'))[0].metadata['startup-script'];
    expect(script).toMatch(/read_secret 'HF_TOKEN' 'projects\/\$\{data\.google_client_config\.\w+\.project\}\/secrets\/hf-token\/versions\/latest'/);
  });

  test('the endpoints of examples/ai-stack.yaml synthesize on GCP', () => {
    const design = require('yaml').parse(fs.readFileSync(path.join(__dirname, '..', '..', 'examples', 'ai-stack.yaml'), 'utf8'));
    const { stack } = gcpTestStack();
    const endpoints = (design.endpoints as GpuEndpointProps[]).map((e) => new GpuEndpoint(stack, e.name, { ...e, region: design.region.gcp }));
    const json = synthJson(stack);
    expect(unresolvedReferences(json)).toEqual([]);
    for (const e of endpoints) {
      const autoscalers = e.groups.map((g) => g.bounds);
      expect(autoscalers.reduce((n, b) => n + b.maxReplicas, 0)).toBe(e.plan.max);
    }
    // llama-70b on GCP: four A100 40 GB per replica.
    expect(endpoints[1].plan.instanceTypes[0].type).toBe('a2-highgpu-4g');
    expect(endpoints[1].standardTemplate).toBeDefined();
    const a100 = Object.values(resourcesOf(json, 'google_compute_instance_template')).find((t) => t.name_prefix === 'test-llama-70b-ondemand-')!;
    expect(a100.guest_accelerator).toEqual([{ type: 'nvidia-tesla-a100', count: 4 }]);
    expect(a100.disk[0].disk_size_gb).toBe(400);
  });
});
