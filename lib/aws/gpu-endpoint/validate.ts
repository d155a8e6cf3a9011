// Validation of GpuEndpoint props: one shape (the design's fields plus the AWS props, unknown keys
// refused), the neutral design rules, AWS's rules (the same `ai-stack check` runs), then the props
// only a construct has.
import {
  gpuEndpointShape,
  validateGpuEndpoint,
  validateNamePrefix,
  validateServerSecretNames,
  type GpuEndpointDesign,
  type NamePrefixProps,
  type Problems,
} from '../../design';
import { arrayOf, bool, checkShape, extendShape, num, recordOf, ref, str } from '../../design/shape';
import { awsRules } from '../rules';

/** The AWS props checked here (a structural slice of GpuEndpointProps, which imports aws-cdk-lib types). */
export interface AwsGpuEndpointPropsToCheck extends GpuEndpointDesign, NamePrefixProps {
  readonly instanceTypes?: readonly { toString(): string }[];
  readonly serverSecrets?: Readonly<Record<string, unknown>>;
}

/** Every prop of the AWS GpuEndpoint: a misspelled prop is an error with a "did you mean", never ignored. */
export const awsGpuEndpointPropsShape = extendShape(gpuEndpointShape, {
  namePrefix: str,
  vpc: ref('an ec2.IVpc'),
  vpcSubnets: ref('an ec2.SubnetSelection'),
  instanceTypes: arrayOf(ref('an ec2.InstanceType')),
  machineImage: ref('an ec2.IMachineImage'),
  notificationsTopic: ref('an sns.ITopic'),
  imageRepository: ref('an ecr.IRepository'),
  serverSecrets: recordOf(ref('a secretsmanager.ISecret')),
  allowFromVpc: bool,
  accessLogsBucket: ref('an s3.IBucket'),
  logRetention: num,
  logEncryptionKey: ref('a kms.IKey'),
});

/** EC2 Auto Scaling accepts at most 40 launch template overrides. */
const MAX_INSTANCE_TYPES = 40;

/** Adds every problem of `props` to `problems`, each under `path`. */
export function validateGpuEndpointProps(props: AwsGpuEndpointPropsToCheck, path: string, problems: Problems): void {
  const before = problems.count;
  checkShape(props, awsGpuEndpointPropsShape, path, problems);
  if (problems.count > before) return; // the rules below assume the shape
  validateGpuEndpoint(props, path, ['aws'], problems);
  awsRules.gpuEndpoint?.(props, path, problems);
  validateNamePrefix(props.namePrefix, path, problems);

  const types = props.instanceTypes;
  if (types !== undefined) {
    if (types.length === 0 || types.length > MAX_INSTANCE_TYPES) {
      problems.add(`${path}.instanceTypes`, `must list 1 to ${MAX_INSTANCE_TYPES} instance types (got ${types.length})`);
    }
    const names = types.map((t) => t.toString());
    const duplicates = [...new Set(names.filter((n, i) => names.indexOf(n) !== i))];
    if (duplicates.length > 0) problems.add(`${path}.instanceTypes`, `must not repeat an instance type (got ${duplicates.join(', ')} more than once)`);
  }
  validateServerSecretNames(Object.keys(props.serverSecrets ?? {}), props.server?.env, `${path}.serverSecrets`, problems);
}
