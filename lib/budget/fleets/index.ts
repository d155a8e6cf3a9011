// The budget hard stop's fleet adapters: one FleetScaler per cloud, no construct library, no SDK
// loaded until a call needs it.
export type { FleetCapacity, FleetRef, FleetScaler } from './types';
export { FleetError, MAX_MESSAGE_CHARS, type FleetErrorKind } from './errors';
export type { RetryOptions } from './retry';
export type { HttpOptions } from './http';
export { awsFleetScaler, AUTO_SCALING_SDK, SCHEDULED_ACTIONS, type AutoScalingSdk, type AwsFleetScalerOptions } from './aws';
export { gcpFleetScaler, GCP_COMPUTE_URL, type GcpFleetScalerOptions } from './gcp';
export { azureFleetScaler, AZURE_MANAGEMENT_URL, AZURE_MANAGEMENT_SCOPE, AUTOSCALE_API_VERSION, VMSS_API_VERSION, type AzureFleetScalerOptions } from './azure';
