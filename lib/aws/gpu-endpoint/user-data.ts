// Builds the boot script of a GPU replica: CloudWatch agent with NVIDIA GPU metrics, then the model
// server container. Pure string building (no constructs), so it is unit-testable on its own.

/** CloudWatch namespace the agent publishes GPU metrics to. */
export const GPU_METRICS_NAMESPACE = 'AiStack/GpuEndpoint';
/** Metric name of average GPU utilization (percent) as the CloudWatch agent publishes it. */
export const GPU_UTILIZATION_METRIC = 'nvidia_smi_utilization_gpu';
/** Metric name of GPU memory in use (MiB) as the CloudWatch agent publishes it. */
export const GPU_MEMORY_USED_METRIC = 'nvidia_smi_memory_used';

import { commonDockerRunFlags, MODEL_CACHE_HOST_DIR, modelServerArgs, shellQuote, type ModelServerBoot } from '../../common/model-server';

export { shellQuote };

/**
 * What the boot script needs to know; string values may be unresolved tokens. On AWS `secrets` maps
 * environment variable names to Secrets Manager secret ARNs.
 */
export interface BootScriptOptions extends ModelServerBoot {
  /** Region of the stack (for the AWS CLI and the awslogs driver). */
  readonly region: string;
  /** Log group receiving the container's output. */
  readonly logGroupName: string;
  /** ECR registry host to log in to before pulling, e.g. `123456789012.dkr.ecr.us-east-1.amazonaws.com`. */
  readonly ecrRegistry?: string;
  /** Region of that registry. */
  readonly ecrRegion?: string;
}

/** The CloudWatch agent configuration: NVIDIA GPU metrics aggregated per Auto Scaling group. */
export function cloudWatchAgentConfig(): string {
  const config = {
    agent: { metrics_collection_interval: 60 },
    metrics: {
      namespace: GPU_METRICS_NAMESPACE,
      // Resolved by the agent on the instance (from the aws:autoscaling:groupName tag), not by CloudFormation.
      append_dimensions: { AutoScalingGroupName: '${aws:AutoScalingGroupName}' },
      // Also publish each metric with only the group dimension: the series target tracking follows.
      aggregation_dimensions: [['AutoScalingGroupName']],
      metrics_collected: {
        nvidia_gpu: { measurement: ['utilization_gpu', 'memory_used', 'memory_total'], metrics_collection_interval: 60 },
      },
    },
  };
  return JSON.stringify(config, null, 2);
}

/** The `docker run` command line of the model server. */
export function dockerRunCommand(o: BootScriptOptions): string {
  const q = shellQuote;
  const envFlags = Object.keys(o.env)
    .sort()
    .map((k) => `-e ${q(`${k}=${o.env[k]}`)}`);
  const secretFlags = Object.keys(o.secrets).length > 0 ? ['--env-file /run/ai-stack/server.env'] : [];
  const parts = [
    'docker run -d',
    ...commonDockerRunFlags(o.port, o.acceleratorsPerReplica),
    '--log-driver awslogs',
    `--log-opt awslogs-region=${q(o.region)}`,
    `--log-opt awslogs-group=${q(o.logGroupName)}`,
    '--log-opt "awslogs-stream=${INSTANCE_ID}"',
    ...envFlags,
    ...secretFlags,
    q(o.image),
    ...modelServerArgs(o).map(q),
  ];
  return parts.join(' \\\n  ');
}

/** The boot script's commands, in order (the shebang is added by `UserData.forLinux`). */
export function bootScript(o: BootScriptOptions): string[] {
  const q = shellQuote;
  const lines: string[] = [
    'set -euo pipefail',
    'exec > >(tee -a /var/log/ai-stack-boot.log) 2>&1',
    '',
    '# Instance metadata through IMDSv2 (session token; the launch template requires it).',
    "IMDS_TOKEN=$(curl -sSf -X PUT http://169.254.169.254/latest/api/token -H 'X-aws-ec2-metadata-token-ttl-seconds: 300')",
    'INSTANCE_ID=$(curl -sSf -H "X-aws-ec2-metadata-token: ${IMDS_TOKEN}" http://169.254.169.254/latest/meta-data/instance-id)',
    '',
    `# CloudWatch agent: NVIDIA GPU metrics in ${GPU_METRICS_NAMESPACE}, per Auto Scaling group.`,
    'rpm -q amazon-cloudwatch-agent >/dev/null 2>&1 || dnf install -y amazon-cloudwatch-agent',
    'mkdir -p /opt/aws/amazon-cloudwatch-agent/etc',
    "cat > /opt/aws/amazon-cloudwatch-agent/etc/ai-stack-gpu.json <<'AI_STACK_EOF'",
    cloudWatchAgentConfig(),
    'AI_STACK_EOF',
    '/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:/opt/aws/amazon-cloudwatch-agent/etc/ai-stack-gpu.json',
    '',
    '# Model server container.',
    'systemctl enable --now docker',
    `mkdir -p ${MODEL_CACHE_HOST_DIR}`,
  ];
  if (o.ecrRegistry) {
    lines.push(
      `aws ecr get-login-password --region ${q(o.ecrRegion ?? o.region)} | docker login --username AWS --password-stdin ${q(o.ecrRegistry)}`,
    );
  }
  const secrets = Object.keys(o.secrets).sort();
  if (secrets.length > 0) {
    lines.push(
      '# Secrets are read at boot into a root-only file on tmpfs; the launch template holds only their ARNs.',
      'install -d -m 700 /run/ai-stack',
      '( umask 077 && : > /run/ai-stack/server.env )',
      // An assignment, so a failed read stops the script (set -e) instead of writing an empty value.
      ...secrets.flatMap((name) => [
        `secret_value=$(aws secretsmanager get-secret-value --region ${q(o.region)} --secret-id ${q(o.secrets[name])} --query SecretString --output text)`,
        `printf '%s=%s\\n' ${q(name)} "$secret_value" >> /run/ai-stack/server.env`,
      ]),
      'unset secret_value',
    );
  }
  lines.push(
    `for attempt in 1 2 3 4 5; do docker pull ${q(o.image)} && break; [ "$attempt" = 5 ] && exit 1; sleep 20; done`,
    dockerRunCommand(o),
  );
  return lines;
}
