import { StorageBucket } from '@cdktf/provider-google/lib/storage-bucket';
import type { Construct } from 'constructs';

/**
 * The bucket a shipped bundle is mounted from (the router's, the budget stop function's): uniform
 * access, public access prevention enforced, versioned, old objects kept 30 days after they are
 * replaced (a rollback), and destroyed with its objects (nothing in it a new apply does not upload
 * again).
 */
export function bundleBucket(scope: Construct, id: string, name: string, location: string): StorageBucket {
  return new StorageBucket(scope, id, {
    name,
    location,
    uniformBucketLevelAccess: true,
    publicAccessPrevention: 'enforced',
    versioning: { enabled: true },
    lifecycleRule: [{ condition: { daysSinceNoncurrentTime: 30 }, action: { type: 'Delete' } }],
    forceDestroy: true,
  });
}
