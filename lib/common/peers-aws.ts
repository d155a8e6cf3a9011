// Loaded first by `ai-stack-constructs/aws`: names a missing aws-cdk-lib or constructs before any import fails.
import { assertPeers, CLOUD_PEERS } from './peers';

assertPeers('ai-stack-constructs/aws', CLOUD_PEERS.aws);
