// Everything `ai-stack check` must know about Google Cloud beyond the neutral design. Pure: no cdktf.
import type { CloudRules } from '../design/cloud-rules';
import { validateGpuEndpointOnGcp } from './gpu-endpoint/rules';

export const gcpRules: CloudRules = { gpuEndpoint: validateGpuEndpointOnGcp };
