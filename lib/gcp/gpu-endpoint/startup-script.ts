/**
 * The boot script of every replica: waits for the GPU driver, makes sure the Ops Agent (which reports
 * the GPU utilization the autoscalers scale on) and a GPU-enabled Docker are present, reads the
 * server's secrets from Secret Manager, then runs the model server container the way every cloud
 * runs it (`lib/common/model-server.ts`).
 */
import { commonDockerRunFlags, MODEL_CACHE_HOST_DIR, MODEL_SERVER_CONTAINER, modelServerArgs, shellQuote, type ModelServerBoot } from '../../common/model-server';
import { escapeTerraformTemplate } from '../../cdktf/escape';

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

/** Root-only file (on tmpfs) the secrets are written to at boot and handed to `docker run --env-file`. */
export const SERVER_ENV_FILE = '/run/ai-stack/server.env';

/** Attempts (30 s apart) to read each secret: a new IAM grant can take minutes to reach Secret Manager. */
export const SECRET_READ_ATTEMPTS = 10;

export interface StartupScriptOptions extends ModelServerBoot {
  readonly endpointName: string;
  /**
   * Environment variable name → Secret Manager secret resource name (`projects/<p>/secrets/<name>`;
   * the project may be a cdktf token). Read at boot (version `latest`), never rendered as a value.
   */
  readonly secrets: Readonly<Record<string, string>>;
}

/** The part of the script that reads the secrets into `SERVER_ENV_FILE`; empty without secrets. */
function secretLines(secrets: Readonly<Record<string, string>>): string[] {
  const names = Object.keys(secrets).sort();
  if (names.length === 0) return [];
  return [
    '# 5. Secrets: read from Secret Manager (version latest) with the VM service account into a root-only file',
    '#    on tmpfs; the instance metadata holds only the secret names. A failed read stops the boot here.',
    'command -v gcloud > /dev/null 2>&1 || { echo "ai-stack: gcloud is needed to read the server secrets; use an image with the Google Cloud CLI" >&2; exit 1; }',
    'install -d -m 700 /run/ai-stack',
    `rm -f ${SERVER_ENV_FILE}`,
    `( umask 077 && : > ${SERVER_ENV_FILE} )`,
    'read_secret() {',
    '  local name="$1" version="$2" value attempt',
    `  for attempt in $(seq 1 ${SECRET_READ_ATTEMPTS}); do`,
    '    if value=$(gcloud secrets versions access "$version" --quiet); then',
    "      if [ -z \"$value\" ] || [[ \"$value\" == *$'\\n'* ]]; then",
    '        echo "ai-stack: secret $version for $name is empty or has several lines; an env file takes one line per variable" >&2',
    '        return 1',
    '      fi',
    `      printf '%s=%s\\n' "$name" "$value" >> ${SERVER_ENV_FILE}`,
    '      return 0',
    '    fi',
    `    echo "ai-stack: cannot read $version for $name ($attempt/${SECRET_READ_ATTEMPTS}); the VM service account needs roles/secretmanager.secretAccessor on it" >&2`,
    '    sleep 30',
    '  done',
    '  return 1',
    '}',
    ...names.map((name) => `read_secret ${shellQuote(name)} ${shellQuote(`${secrets[name]}/versions/latest`)}`),
    '',
  ];
}

/** The `docker run` command, one flag per line. */
function dockerRun(o: StartupScriptOptions, withSecrets: boolean): string[] {
  const flags = [
    '--detach',
    ...commonDockerRunFlags(o.port, o.acceleratorsPerReplica),
    '--log-driver gcplogs',
    ...Object.keys(o.env)
      .sort()
      .map((k) => `--env ${shellQuote(`${k}=${o.env[k]}`)}`),
    ...(withSecrets ? [`--env-file ${SERVER_ENV_FILE}`] : []),
  ];
  const command = [shellQuote(o.image), ...modelServerArgs(o).map(shellQuote)].join(' ');
  return ['docker run \\', ...flags.map((f) => `  ${f} \\`), `  ${command}`];
}

/** The `startup-script` metadata value (already escaped for Terraform). */
/** Google's apt repository of the Ops Agent and its signing key (the packages are verified by apt). */
export const OPS_AGENT_APT_REPO = 'https://packages.cloud.google.com/apt';
export const OPS_AGENT_APT_KEY = 'https://packages.cloud.google.com/apt/doc/apt-key.gpg';

export function renderStartupScript(o: StartupScriptOptions): string {
  const repo = artifactRegistryRepo(o.image);
  const withSecrets = Object.keys(o.secrets).length > 0;
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
    '#    From Google\'s signed apt repository (apt verifies the package), never by running a downloaded script.',
    'if ! systemctl is-active --quiet google-cloud-ops-agent; then',
    `  curl -fsSL --retry 5 ${OPS_AGENT_APT_KEY} | gpg --dearmor --yes -o /usr/share/keyrings/google-cloud-ops-agent.gpg`,
    `  echo "deb [signed-by=/usr/share/keyrings/google-cloud-ops-agent.gpg] ${OPS_AGENT_APT_REPO} google-cloud-ops-agent-$(. /etc/os-release && echo "$VERSION_CODENAME")-all main" > /etc/apt/sources.list.d/google-cloud-ops-agent.list`,
    '  apt-get update -y && apt-get install -y google-cloud-ops-agent',
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
    ...secretLines(o.secrets),
    '# 6. Model server: restarted by Docker if it exits; weights cached on the boot disk across restarts; logs go to Cloud Logging.',
    `mkdir -p ${MODEL_CACHE_HOST_DIR}`,
    `docker rm -f ${MODEL_SERVER_CONTAINER} > /dev/null 2>&1 || true`,
    `until docker pull ${shellQuote(o.image)}; do echo "ai-stack: retrying image pull"; sleep 15; done`,
    ...dockerRun(o, withSecrets),
    // Docker keeps the container's environment for its restarts; the file is not needed any more.
    ...(withSecrets ? [`rm -f ${SERVER_ENV_FILE}`] : []),
    '',
  ];
  return escapeTerraformTemplate(lines.join('\n'));
}

/** The `shutdown-script` metadata value: stops the server within a spot VM's 30-second notice. */
export function renderShutdownScript(): string {
  return ['#!/bin/bash', `docker stop --time 25 ${MODEL_SERVER_CONTAINER} || true`, ''].join('\n');
}
