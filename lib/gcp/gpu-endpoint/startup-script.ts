/**
 * The boot script of every replica: waits for the GPU driver, makes sure the Ops Agent (which reports
 * the GPU utilization the autoscalers scale on) and a GPU-enabled Docker are present, then runs the
 * model server container.
 */

/** An Artifact Registry Docker repository named by an image reference. */
export interface ArtifactRegistryRepo {
  /** Registry host, e.g. `us-docker.pkg.dev`. */
  readonly host: string;
  /** Repository location, e.g. `us` or `europe-west4`. */
  readonly location: string;
  readonly project: string;
  readonly repository: string;
}

const AR_IMAGE = /^(([a-z0-9-]+)-docker\.pkg\.dev)\/([a-z0-9.:-]+)\/([a-z0-9._-]+)\//;

/** The Artifact Registry repository an image is pulled from, or undefined for any other registry. */
export function artifactRegistryRepo(image: string): ArtifactRegistryRepo | undefined {
  const m = AR_IMAGE.exec(image);
  if (!m) return undefined;
  return { host: m[1], location: m[2], project: m[3], repository: m[4] };
}

/** Quotes a value for bash: the result is one word with no expansion. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * Escapes Terraform template sequences so a literal string reaches the VM unchanged: `${` and `%{`
 * in a Terraform string are interpolation and directives; `$${` and `%%{` are their literal forms.
 */
export function escapeTerraformTemplate(value: string): string {
  // A function replacement: in a replacement string `$$` would collapse to `$`.
  return value.replace(/\$\{/g, () => '$${').replace(/%\{/g, () => '%%{');
}

export interface StartupScriptOptions {
  readonly endpointName: string;
  readonly image: string;
  readonly model: string;
  readonly port: number;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

/** Name of the model server container on each replica. */
export const CONTAINER_NAME = 'model-server';

/** The `startup-script` metadata value (already escaped for Terraform). */
export function renderStartupScript(o: StartupScriptOptions): string {
  const repo = artifactRegistryRepo(o.image);
  const envFlags = Object.keys(o.env)
    .sort()
    .map((k) => `  --env ${shellQuote(`${k}=${o.env[k]}`)} \\`);
  const serverArgs = ['--model', o.model, ...o.args].map(shellQuote).join(' ');
  const lines = [
    '#!/bin/bash',
    `# ai-stack-constructs GpuEndpoint '${o.endpointName.replace(/[^a-z0-9-]/g, '')}': starts the model server. Runs on every boot.`,
    'set -euo pipefail',
    '',
    '# 1. GPU driver: preinstalled on the Deep Learning VM image; wait until it answers.',
    'for attempt in $(seq 1 60); do',
    '  if nvidia-smi > /dev/null 2>&1; then break; fi',
    '  echo "ai-stack: waiting for the NVIDIA driver ($attempt/60)"',
    '  sleep 10',
    'done',
    'nvidia-smi',
    '',
    '# 2. Ops Agent: reports agent.googleapis.com/gpu/utilization (NVML), the autoscaling signal.',
    'if ! systemctl is-active --quiet google-cloud-ops-agent; then',
    '  curl -fsSL --retry 5 https://dl.google.com/cloudagents/add-google-cloud-ops-agent-repo.sh -o /tmp/add-google-cloud-ops-agent-repo.sh',
    '  bash /tmp/add-google-cloud-ops-agent-repo.sh --also-install',
    'fi',
    '',
    '# 3. Docker with the NVIDIA Container Toolkit (on the Deep Learning VM image already; installed on other Ubuntu/Debian images).',
    'if ! command -v docker > /dev/null 2>&1; then',
    '  apt-get update -y && apt-get install -y docker.io',
    'fi',
    'if ! command -v nvidia-ctk > /dev/null 2>&1; then',
    '  curl -fsSL --retry 5 https://nvidia.github.io/libnvidia-container/gpgkey | gpg --dearmor --yes -o /usr/share/keyrings/nvidia-container-toolkit-keyring.gpg',
    "  curl -fsSL --retry 5 https://nvidia.github.io/libnvidia-container/stable/deb/nvidia-container-toolkit.list | sed 's#deb https://#deb [signed-by=/usr/share/keyrings/nvidia-container-toolkit-keyring.gpg] https://#g' > /etc/apt/sources.list.d/nvidia-container-toolkit.list",
    '  apt-get update -y && apt-get install -y nvidia-container-toolkit',
    '  nvidia-ctk runtime configure --runtime=docker',
    '  systemctl restart docker',
    'fi',
    '',
    ...(repo
      ? ['# 4. Artifact Registry credentials from the VM service account.', `gcloud auth configure-docker ${repo.host} --quiet`, '']
      : []),
    '# 5. Model server: restarted by Docker if it exits; logs go to Cloud Logging.',
    `docker rm -f ${CONTAINER_NAME} > /dev/null 2>&1 || true`,
    `until docker pull ${shellQuote(o.image)}; do echo "ai-stack: retrying image pull"; sleep 15; done`,
    `docker run --detach --name ${CONTAINER_NAME} --restart unless-stopped \\`,
    '  --gpus all --ipc host --log-driver gcplogs \\',
    `  --publish ${o.port}:${o.port} \\`,
    ...envFlags,
    `  ${shellQuote(o.image)} ${serverArgs}`,
    '',
  ];
  return escapeTerraformTemplate(lines.join('\n'));
}

/** The `shutdown-script` metadata value: stops the server within a spot VM's 30-second notice. */
export function renderShutdownScript(): string {
  return ['#!/bin/bash', `docker stop --time 25 ${CONTAINER_NAME} || true`, ''].join('\n');
}
