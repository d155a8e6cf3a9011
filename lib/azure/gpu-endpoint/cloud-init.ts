import { Fn, Token } from 'cdktf';

/** Custom metric namespace and name the replicas publish GPU utilization under (percent, 0-100). */
export const GPU_METRIC_NAMESPACE = 'aistack/gpu';
export const GPU_METRIC_NAME = 'GpuUtilization';

/** Name of the model server container on every replica. */
export const SERVER_CONTAINER = 'model-server';

export interface CloudInitOptions {
  /** Endpoint name, for comments and unit descriptions. */
  readonly endpoint: string;
  readonly image: string;
  readonly model: string;
  readonly port: number;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** False when the VMs carry the no-login key: cloud-init then masks the SSH daemon. */
  readonly sshEnabled: boolean;
  /**
   * Name of the scale set (in the VM's own resource group) the GPU utilization metric is published
   * against; undefined publishes nothing.
   */
  readonly metricsScaleSetName?: string;
}

/** Quotes a value for bash (single quotes, with embedded single quotes escaped). */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
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
export function dockerRunCommand(o: Pick<CloudInitOptions, 'image' | 'model' | 'port' | 'args'>): string {
  return [
    'docker run -d',
    `--name ${SERVER_CONTAINER}`,
    '--restart unless-stopped',
    '--gpus all',
    // Shared memory for the server's worker processes (NCCL, tensor parallelism) without sharing the host IPC namespace.
    '--shm-size=16g',
    `-p ${o.port}:${o.port}`,
    '--env-file /etc/ai-stack/server.env',
    shellQuote(o.image),
    '--model',
    shellQuote(o.model),
    ...o.args.map(shellQuote),
  ].join(' ');
}

function bootstrapScript(o: CloudInitOptions): string {
  return `#!/bin/bash
# ai-stack GPU endpoint '${o.endpoint}': installs Docker and the NVIDIA container toolkit, waits for the
# NVIDIA driver, then starts the model server. Idempotent: systemd reruns it until it succeeds (the
# GPU driver extension may still be installing, or may reboot the VM).
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

docker pull ${shellQuote(o.image)}
docker rm -f ${SERVER_CONTAINER} >/dev/null 2>&1 || true
${dockerRunCommand(o)}

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

function metricsScript(scaleSetName: string): string {
  return `#!/bin/bash
# Publishes this replica's GPU utilization (mean over its GPUs, percent) to Azure Monitor as the custom
# metric ${GPU_METRIC_NAMESPACE}/${GPU_METRIC_NAME} on scale set '${scaleSetName}', which the autoscale setting
# watches. Authenticates with the VM's user-assigned managed identity (the only identity on the VM, so
# IMDS needs no client id). Failures are ignored: the next run, a minute later, tries again.
set -uo pipefail
imds=http://169.254.169.254/metadata
compute=$(curl -sf -H Metadata:true "$imds/instance/compute?api-version=2021-02-01") || exit 0
util=$(nvidia-smi --query-gpu=utilization.gpu --format=csv,noheader,nounits 2>/dev/null \\
  | awk '{ s += $1; n++ } END { if (n) printf "%.0f", s / n }')
[ -n "$util" ] || exit 0
token=$(curl -sf -H Metadata:true \\
  "$imds/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fmonitoring.azure.com%2F" | jq -r .access_token) || exit 0
sub=$(jq -r .subscriptionId <<<"$compute")
rg=$(jq -r .resourceGroupName <<<"$compute")
region=$(jq -r .location <<<"$compute")
vm=$(jq -r .name <<<"$compute")
target="/subscriptions/$sub/resourceGroups/$rg/providers/Microsoft.Compute/virtualMachineScaleSets/${scaleSetName}"
body=$(jq -cn --arg t "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --arg vm "$vm" --argjson u "$util" \\
  '{time: $t, data: {baseData: {metric: "${GPU_METRIC_NAME}", namespace: "${GPU_METRIC_NAMESPACE}", dimNames: ["VMName"],
    series: [{dimValues: [$vm], min: $u, max: $u, sum: $u, count: 1}]}}}')
curl -sf -X POST "https://$region.monitoring.azure.com$target/metrics" \\
  -H "Authorization: Bearer $token" -H "Content-Type: application/json" -d "$body" >/dev/null || true
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
    file('/etc/ai-stack/server.env', '0600', envFile.length > 0 ? `${envFile}\n` : '# no environment variables\n'),
    file('/usr/local/sbin/ai-stack-bootstrap', '0755', bootstrapScript(o)),
    file('/etc/systemd/system/ai-stack-bootstrap.service', '0644', BOOTSTRAP_UNIT),
  ];
  const runcmd = ['systemctl daemon-reload', 'systemctl enable --now --no-block ai-stack-bootstrap.service'];
  if (o.metricsScaleSetName !== undefined) {
    files.push(
      file('/usr/local/sbin/ai-stack-gpu-metrics', '0755', metricsScript(o.metricsScaleSetName)),
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

/** Base64 of the cloud-config for `os_profile.custom_data`; a Terraform `base64encode` when it holds tokens. */
export function customData(cloudConfig: string): string {
  return Token.isUnresolved(cloudConfig) ? Fn.base64encode(cloudConfig) : Buffer.from(cloudConfig, 'utf8').toString('base64');
}
