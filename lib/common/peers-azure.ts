// Loaded first by `ai-stack-constructs/azure`: names a missing cdktf, provider or constructs before any import fails.
import { assertPeers, CLOUD_PEERS } from './peers';

assertPeers('ai-stack-constructs/azure', CLOUD_PEERS.azure);
