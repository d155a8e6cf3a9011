// Validation of GpuEndpoint props: the neutral rules of the design model plus the AWS-only props.
import { Token } from 'aws-cdk-lib';
import { validateGpuEndpoint, type GpuEndpointDesign, type Problems } from '../../design';

/** The AWS-only props this file checks (a structural subset of GpuEndpointProps). */
export interface AwsOverridesToCheck {
  readonly instanceTypes?: readonly { toString(): string }[];
  readonly serverSecrets?: Readonly<Record<string, unknown>>;
  readonly healthCheckGracePeriodSeconds?: number;
  readonly drainTimeoutSeconds?: number;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** EC2 Auto Scaling accepts at most 40 launch template overrides. */
const MAX_INSTANCE_TYPES = 40;

/** Adds every problem of `props` (design rules and AWS overrides) to `problems`, each with its path. */
export function validateGpuEndpointProps(props: GpuEndpointDesign, aws: AwsOverridesToCheck, problems: Problems): void {
  validateGpuEndpoint(props, 'props', ['aws'], problems);

  // The fleet plan (on-demand base, reservation size) is arithmetic done at synth: it needs literals.
  const purchase = props.purchase ?? {};
  for (const key of ['reserved', 'onDemandBase', 'spotPercentAboveBase'] as const) {
    const value = purchase[key];
    if (value !== undefined && Token.isUnresolved(value)) {
      problems.add(`props.purchase.${key}`, 'must be a literal number, not a token: the on-demand base, the spot share and the capacity reservation are computed at synth');
    }
  }

  const spot = purchase.spotPercentAboveBase;
  if (typeof spot === 'number' && !Token.isUnresolved(spot) && spot >= 0 && spot <= 100 && !Number.isInteger(spot)) {
    problems.add('props.purchase.spotPercentAboveBase', `must be a whole number on AWS, where EC2 Auto Scaling takes a whole on-demand percentage (got ${spot})`);
  }

  const types = aws.instanceTypes;
  if (types !== undefined) {
    if (types.length === 0 || types.length > MAX_INSTANCE_TYPES) {
      problems.add('props.instanceTypes', `must list 1 to ${MAX_INSTANCE_TYPES} instance types (got ${types.length})`);
    }
    const names = types.map((t) => t.toString());
    const duplicates = [...new Set(names.filter((n, i) => names.indexOf(n) !== i))];
    if (duplicates.length > 0) problems.add('props.instanceTypes', `must not repeat an instance type (got ${duplicates.join(', ')} more than once)`);
  }

  const env = props.server?.env ?? {};
  for (const name of Object.keys(env)) {
    if (!ENV_NAME.test(name)) problems.add(`props.server.env.${name}`, `must be an environment variable name: letters, digits and '_', not starting with a digit (got '${name}')`);
  }
  for (const name of Object.keys(aws.serverSecrets ?? {})) {
    if (!ENV_NAME.test(name)) {
      problems.add(`props.serverSecrets.${name}`, `must be an environment variable name: letters, digits and '_', not starting with a digit (got '${name}')`);
    } else if (name in env) {
      problems.add(`props.serverSecrets.${name}`, `is also set in props.server.env; set each variable in one place`);
    }
  }

  const grace = aws.healthCheckGracePeriodSeconds;
  if (grace !== undefined && !Token.isUnresolved(grace) && (grace < 60 || grace > 7200)) {
    problems.add('props.healthCheckGracePeriod', `must be between 1 minute and 2 hours (got ${grace} seconds); size it for pulling the image and loading the model`);
  }
  const drain = aws.drainTimeoutSeconds;
  if (drain !== undefined && !Token.isUnresolved(drain) && (drain < 30 || drain > 3600)) {
    problems.add('props.drainTimeout', `must be between 30 seconds and 1 hour (got ${drain} seconds): it is both the load balancer's deregistration delay and the termination hook's heartbeat`);
  }
}

