import { Token } from 'cdktf';
import {
  commonDockerRunFlags,
  MODEL_CACHE_HOST_DIR,
  MODEL_SERVER_CONTAINER,
  modelServerArgs,
  shellQuote,
  type ModelServerBoot,
} from '../../common/model-server';

/** Custom metric namespace and name the replicas publish GPU utilization under (percent, 0-100). */
export const GPU_METRIC_NAMESPACE = 'aistack/gpu';
export const GPU_METRIC_NAME = 'GpuUtilization';

/** Non-secret environment of the server (`server.env`), written by cloud-init. */
export const SERVER_ENV_FILE = '/etc/ai-stack/server.env';
/** Secrets read from Key Vault at boot: root-only, on tmpfs, removed once the container has started. */
export const SECRETS_ENV_FILE = '/run/ai-stack/secrets.env';

/** Key Vault data-plane API version the boot script reads secrets with. */
export const KEY_VAULT_API_VERSION = '7.4';

export interface CloudInitOptions extends ModelServerBoot {
  /** Endpoint name, for comments and unit descriptions. */
  readonly endpoint: string;
  /** Environment variable name → versionless Key Vault secret URL, read at boot with the VM's identity. */
  readonly secrets: Readonly<Record<string, string>>;
  /** False when the VMs carry the no-login key: cloud-init then masks the SSH daemon. */
  readonly sshEnabled: boolean;
  /**
   * Name of the load balancer (in the VM's own resource group) the GPU utilization metric is published
   * against; undefined publishes nothing.
   */
  readonly metricsLoadBalancerName?: string;
}

function indent(text: string, spaces: number): string {
  const pad = ' '.repeat(spaces);
  return text
    .split('\n')
    .map((line) => (line.length > 0 ? pad + line : line))
    .join('\n');
}

function file(path: string, permissions: string, content: string): string {
  return [`  - path: ${path}`, `    owner: root:root`, `    permissions: '${permissions}'`, `    content: |`, indent(content, 6)].join('\n');
}

/** The `docker run` command line of the model server (also asserted by the tests). */
export function dockerRunCommand(o: Pick<CloudInitOptions, 'image' | 'model' | 'port' | 'args' | 'acceleratorsPerReplica' | 'secrets'>): string {
  return [
    'docker run -d',
    ...commonDockerRunFlags(o.port, o.acceleratorsPerReplica),
    `--env-file ${SERVER_ENV_FILE}`,
    ...(Object.keys(o.secrets).length > 0 ? [`--env-file ${SECRETS_ENV_FILE}`] : []),
    shellQuote(o.image),
    ...modelServerArgs(o).map(shellQuote),
  ].join(' ');
}

/**
 * Shell lines that read every secret into {@link SECRETS_ENV_FILE}; any failure (no token, no role
 * yet, missing secret, a multi-line value) exits the script before `docker run`, and systemd reruns it.
 */
function secretLines(secrets: Readonly<Record<string, string>>): string {
  const names = Object.keys(secrets).sort();
  if (names.length === 0) return '';
  return `
# Secrets: read from Key Vault with the VM's managed identity (role "Key Vault Secrets User" on each
# secret) into a root-only file on tmpfs. Any failure stops here, before the server starts; systemd
# retries in 30 s (a new role assignment can take minutes to apply).
install -d -m 700 /run/ai-stack
rm -f ${SECRETS_ENV_FILE}.tmp
( umask 077 && : > ${SECRETS_ENV_FILE}.tmp )
kv_token=$(curl -sSf -H Metadata:true \\
  "http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fvault.azure.net" \\
  | jq -er .access_token) || { echo "ai-stack: no managed identity token for Key Vault" >&2; exit 1; }
read_secret() {
  local value
  value=$(curl -sSf -H "Authorization: Bearer $kv_token" "$2?api-version=${KEY_VAULT_API_VERSION}" | jq -er .value) \\
    || { echo "ai-stack: cannot read Key Vault secret $2 (for $1): check the secret exists and the role assignment has applied" >&2; return 1; }
  case "$value" in
    *$'\\n'*) echo "ai-stack: Key Vault secret $2 (for $1) has several lines; an environment variable takes one" >&2; return 1 ;;
  esac
  printf '%s=%s\\n' "$1" "$value" >> ${SECRETS_ENV_FILE}.tmp
}
${names.map((n) => `read_secret ${shellQuote(n)} ${shellQuote(secrets[n])}`).join('\n')}
unset kv_token
mv ${SECRETS_ENV_FILE}.tmp ${SECRETS_ENV_FILE}
`;
}

function bootstrapScript(o: CloudInitOptions): string {
  return `#!/bin/bash
# ai-stack GPU endpoint '${o.endpoint}': installs Docker and the NVIDIA container toolkit, waits for the
# NVIDIA driver, reads the server's secrets, then starts the model server. Idempotent: systemd reruns
# it until it succeeds (the GPU driver extension may still be installing, or may reboot the VM).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt_get() { apt-get -o DPkg::Lock::Timeout=900 "$@"; }

if ! command -v docker >/dev/null || ! command -v jq >/dev/null; then
  apt_get update
  apt_get install -y --no-install-recommends docker.io jq curl ca-certificates gnupg
fi

if ! command -v nvidia-ctk >/dev/null; then
  curl -fsSL https://nvidia.github.io/libnvidia-container/gpgkey \\
    | gpg --batch --yes --dearmor -o /usr/share/keyrings/nvidia-container-toolkit-keyring.gpg
  curl -fsSL https://nvidia.github.io/libnvidia-container/stable/deb/nvidia-container-toolkit.list \\
    | sed 's#deb https://#deb [signed-by=/usr/share/keyrings/nvidia-container-toolkit-keyring.gpg] https://#g' \\
    > /etc/apt/sources.list.d/nvidia-container-toolkit.list
  apt_get update
  apt_get install -y nvidia-container-toolkit
fi

# The driver comes from the NvidiaGpuDriverLinux extension (or the image): wait up to 30 minutes.
for _ in $(seq 1 120); do nvidia-smi >/dev/null 2>&1 && break; sleep 15; done
nvidia-smi

nvidia-ctk runtime configure --runtime=docker
systemctl restart docker
${secretLines(o.secrets)}
# Model weights are cached on the OS disk, so a restarted container does not download them again.
mkdir -p ${MODEL_CACHE_HOST_DIR}
docker pull ${shellQuote(o.image)}
docker rm -f ${MODEL_SERVER_CONTAINER} >/dev/null 2>&1 || true
${dockerRunCommand(o)}
${Object.keys(o.secrets).length > 0 ? `# The container holds its environment now; the plain-text copy goes.\nrm -f ${SECRETS_ENV_FILE}\n` : ''}
mkdir -p /var/lib/ai-stack
touch /var/lib/ai-stack/bootstrapped
`;
}

const BOOTSTRAP_UNIT = `[Unit]
Description=ai-stack: container runtime with NVIDIA GPU support, then the model server
Wants=network-online.target
After=network-online.target
ConditionPathExists=!/var/lib/ai-stack/bootstrapped
StartLimitIntervalSec=0

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/ai-stack-bootstrap
Restart=on-failure
RestartSec=30

[Install]
WantedBy=multi-user.target
`;

/**
 * Shell functions shared by the per-minute publisher and the provisioning-time seed: read this VM's
 * identity and location from IMDS (plain-text leaves, so no JSON tool is needed before the bootstrap
 * has installed one), measure GPU utilization, publish it, and look the metric up.
 */
function metricFunctions(loadBalancerName: string): string {
  return `imds=http://169.254.169.254/metadata
leaf() { curl -sf -H Metadata:true "$imds/instance/compute/$1?api-version=2021-02-01&format=text"; }
# Managed identity token for an audience (the VM's only identity, so IMDS needs no client id).
token() {
  curl -sf -H Metadata:true "$imds/identity/oauth2/token?api-version=2018-02-01&resource=$1" \\
    | sed -n 's/.*"access_token" *: *"\\([^"]*\\)".*/\\1/p'
}
# Mean utilization over this VM's GPUs, percent; empty until the NVIDIA driver works.
gpu_util() {
  nvidia-smi --query-gpu=utilization.gpu --format=csv,noheader,nounits 2>/dev/null \\
    | awk '{ s += $1; n++ } END { if (n) printf "%.0f", s / n }'
}
target() {
  local sub rg
  sub=$(leaf subscriptionId) && rg=$(leaf resourceGroupName) || return 1
  echo "/subscriptions/$sub/resourceGroups/$rg/providers/Microsoft.Network/loadBalancers/${loadBalancerName}"
}
# Posts one data point ($1 percent) of ${GPU_METRIC_NAMESPACE}/${GPU_METRIC_NAME} (dimension VMName).
publish() {
  local tgt region vm tok body
  tgt=$(target) && region=$(leaf location) && vm=$(leaf name) || return 1
  tok=$(token https%3A%2F%2Fmonitoring.azure.com%2F) && [ -n "$tok" ] || return 1
  body=$(printf '{"time":"%s","data":{"baseData":{"metric":"%s","namespace":"%s","dimNames":["VMName"],"series":[{"dimValues":["%s"],"min":%s,"max":%s,"sum":%s,"count":1}]}}}' \\
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "${GPU_METRIC_NAME}" "${GPU_METRIC_NAMESPACE}" "$vm" "$1" "$1" "$1")
  curl -sf -X POST "https://$region.monitoring.azure.com$tgt/metrics" \\
    -H "Authorization: Bearer $tok" -H "Content-Type: application/json" -d "$body" >/dev/null
}`;
}

/** The per-minute publisher the systemd timer runs; a failed run is retried by the next one. */
function metricsScript(o: { endpoint: string; loadBalancerName: string }): string {
  return `#!/bin/bash
# ai-stack GPU endpoint '${o.endpoint}': publishes this replica's GPU utilization (mean over its GPUs,
# percent) to Azure Monitor as the custom metric ${GPU_METRIC_NAMESPACE}/${GPU_METRIC_NAME} on the endpoint's
# load balancer '${o.loadBalancerName}', which the autoscale setting watches. A failed run changes nothing:
# the next one, a minute later, tries again.
set -uo pipefail
${metricFunctions(o.loadBalancerName)}
util=$(gpu_util)
[ -n "$util" ] || exit 0
publish "$util"
`;
}

/** How long the seed waits in all, in seconds, before giving up (and letting provisioning finish). */
export const METRIC_SEED_TIMEOUT_SECONDS = 1800;

/**
 * The script of the `AiStackGpuMetricSeed` VM extension. It runs on each new replica after the GPU
 * driver extension and holds the VM's provisioning (and so the scale set's creation) until Azure
 * Monitor lists the ${GPU_METRIC_NAME} metric on the load balancer: Azure autoscale validates a custom
 * metric when the setting is written and rejects one never published (`UnsupportedMetric`), so the
 * setting, created after the scale sets, only ever sees a metric that exists. It publishes the real
 * utilization (what the timer would), polls the metric definitions with the VM's identity ("Monitoring
 * Reader" on the load balancer), and always exits 0: after {@link METRIC_SEED_TIMEOUT_SECONDS} it gives
 * up with a message rather than fail the VM.
 */
export function metricSeedScript(o: { endpoint: string; loadBalancerName: string }): string {
  return `#!/bin/bash
# ai-stack GPU endpoint '${o.endpoint}': makes sure the custom metric the autoscale setting reads exists
# before this VM reports provisioned. Always exits 0.
set -uo pipefail
${metricFunctions(o.loadBalancerName)}
deadline=$(( $(date +%s) + ${METRIC_SEED_TIMEOUT_SECONDS} ))
give_up() {
  echo "ai-stack: $1 after ${METRIC_SEED_TIMEOUT_SECONDS / 60} minutes; if the autoscale setting is rejected with UnsupportedMetric, apply again once replicas report" >&2
  exit 0
}
until util=$(gpu_util) && [ -n "$util" ]; do
  [ "$(date +%s)" -lt "$deadline" ] || give_up "no GPU utilization (nvidia-smi)"
  sleep 15
done
# A new role assignment can take minutes to apply: retry.
until publish "$util"; do
  [ "$(date +%s)" -lt "$deadline" ] || give_up "could not publish ${GPU_METRIC_NAMESPACE}/${GPU_METRIC_NAME}"
  sleep 20
  util=$(gpu_util); [ -n "$util" ] || util=0
done
echo "ai-stack: published ${GPU_METRIC_NAME}=$util; waiting for Azure Monitor to list it"
until tgt=$(target) && tok=$(token https%3A%2F%2Fmanagement.azure.com%2F) && [ -n "$tok" ] \\
  && curl -sf -H "Authorization: Bearer $tok" \\
    "https://management.azure.com$tgt/providers/microsoft.insights/metricDefinitions?api-version=2018-01-01&metricnamespace=${encodeURIComponent(GPU_METRIC_NAMESPACE)}" \\
    | grep -q '"${GPU_METRIC_NAME}"'; do
  [ "$(date +%s)" -lt "$deadline" ] || give_up "${GPU_METRIC_NAME} not listed by Azure Monitor"
  sleep 20
done
echo "ai-stack: ${GPU_METRIC_NAMESPACE}/${GPU_METRIC_NAME} is defined on the load balancer"
`;
}

const METRICS_SERVICE = `[Unit]
Description=ai-stack: publish GPU utilization to Azure Monitor

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/ai-stack-gpu-metrics
`;

const METRICS_TIMER = `[Unit]
Description=ai-stack: publish GPU utilization to Azure Monitor every minute

[Timer]
OnBootSec=2min
OnUnitActiveSec=60s
AccuracySec=5s

[Install]
WantedBy=timers.target
`;

/** The cloud-config document every replica boots with (plain text; see {@link customData}). */
export function renderCloudInit(o: CloudInitOptions): string {
  const envFile = Object.keys(o.env)
    .sort()
    .map((k) => `${k}=${o.env[k]}`)
    .join('\n');
  const files = [
    file(SERVER_ENV_FILE, '0600', envFile.length > 0 ? `${envFile}\n` : '# no environment variables\n'),
    file('/usr/local/sbin/ai-stack-bootstrap', '0700', bootstrapScript(o)),
    file('/etc/systemd/system/ai-stack-bootstrap.service', '0644', BOOTSTRAP_UNIT),
  ];
  const runcmd = ['systemctl daemon-reload', 'systemctl enable --now --no-block ai-stack-bootstrap.service'];
  if (o.metricsLoadBalancerName !== undefined) {
    files.push(
      file('/usr/local/sbin/ai-stack-gpu-metrics', '0755', metricsScript({ endpoint: o.endpoint, loadBalancerName: o.metricsLoadBalancerName })),
      file('/etc/systemd/system/ai-stack-gpu-metrics.service', '0644', METRICS_SERVICE),
      file('/etc/systemd/system/ai-stack-gpu-metrics.timer', '0644', METRICS_TIMER),
    );
    runcmd.push('systemctl enable --now ai-stack-gpu-metrics.timer');
  }
  if (!o.sshEnabled) {
    // No admin key was given: nobody can log in, so the SSH daemon has no reason to run.
    runcmd.push('systemctl disable --now ssh.service ssh.socket || true', 'systemctl mask ssh.service');
  }
  return [
    '#cloud-config',
    `# ai-stack-constructs GPU endpoint '${o.endpoint}': model server replica.`,
    'write_files:',
    ...files,
    'runcmd:',
    ...runcmd.map((c) => `  - [sh, -c, ${JSON.stringify(c)}]`),
    '',
  ].join('\n');
}

/**
 * Base64 of the cloud-config for `os_profile.custom_data`. The document is rendered at synth, so it
 * must hold no unresolved token: the construct's validation rejects tokens in every value written
 * into it, and this guards the invariant.
 */
export function customData(cloudConfig: string): string {
  if (Token.isUnresolved(cloudConfig)) {
    throw new Error('internal error: the cloud-init document holds an unresolved token, which the GpuEndpoint prop validation should have rejected');
  }
  return Buffer.from(cloudConfig, 'utf8').toString('base64');
}
