import { requirePeerVersion } from '../common/peers';

/**
 * The lowest aws-cdk-lib this package declares (and its packaging test installs). A construct that
 * needs a newer L1 calls {@link requireAwsCdkLib} with the version that introduced it.
 */
export const MIN_AWS_CDK_LIB = '2.260.0';

/**
 * Refuses an aws-cdk-lib older than `minimum` with a message naming the version `feature` needs and
 * the `npm i` that upgrades it, e.g. `requireAwsCdkLib('2.270.0', 'aws.RouterFunction')`.
 * `installed` defaults to the app's aws-cdk-lib.
 */
export function requireAwsCdkLib(minimum: string, feature: string, installed?: string): void {
  requirePeerVersion('aws-cdk-lib', minimum, feature, installed);
}
