// Loaded first by `ai-stack-constructs/gcp`: names a missing cdktf, provider or constructs before any import fails.
import { assertPeers, CLOUD_PEERS } from './peers';

assertPeers('ai-stack-constructs/gcp', CLOUD_PEERS.gcp);
