// What the Google Cloud ModelRouter builds from the design's numbers: Cloud Run sizing and scaling,
// and the physical names. Pure (no cdktf, no provider), so the estimate, the cloud rules and the
// construct can share it.
import { fitName } from '../../design/naming';

/**
 * Requests one Cloud Run instance serves at once unless `maxRequestsPerInstance` says otherwise:
 * Cloud Run's own default for instances with at least one vCPU. The router spends its time waiting
 * for providers (its own overhead is a fraction of a millisecond per request), so one vCPU keeps up.
 */
export const DEFAULT_REQUESTS_PER_INSTANCE = 80;

/** Cloud Run's largest `max_instance_request_concurrency`. */
export const MAX_REQUESTS_PER_INSTANCE = 1000;

/** Port the container listens on: Cloud Run sets `PORT` to it, and the bundle's server reads `PORT`. */
export const ROUTER_CONTAINER_PORT = 8080;

/** Where the bundle bucket is mounted in the container (a read-only Cloud Storage volume). */
export const BUNDLE_MOUNT_PATH = '/router';

/** The path the router answers without a key (lib/router/handlers/pipeline.ts); the probes call it. */
export const HEALTH_PATH = '/healthz';

/** How many Cloud Run instances, each serving how many requests at once. */
export interface CloudRunScaling {
  /** `template.scaling.max_instance_count`. */
  readonly maxInstances: number;
  /** `template.max_instance_request_concurrency`. */
  readonly requestsPerInstance: number;
}

/**
 * Cloud Run's scaling for a cap of `maxConcurrentRequests` across every instance: as many instances
 * as the per-instance limit needs (`ceil(max / limit)`), and the requests spread evenly over them, so
 * instances × requests per instance is the cap itself or at most `maxInstances - 1` above it
 * (100 requests at 80 per instance: 2 instances of 50, not 2 of 80).
 */
export function cloudRunScaling(maxConcurrentRequests: number, requestsPerInstanceLimit: number = DEFAULT_REQUESTS_PER_INSTANCE): CloudRunScaling {
  const limit = Math.min(requestsPerInstanceLimit, maxConcurrentRequests);
  const maxInstances = Math.ceil(maxConcurrentRequests / limit);
  return { maxInstances, requestsPerInstance: Math.ceil(maxConcurrentRequests / maxInstances) };
}

/**
 * vCPUs of an instance with `memoryMiB`: 1, or what Cloud Run requires for more memory (more than
 * 4 GiB needs 2 vCPUs, more than 8 GiB needs 4; the design allows up to 10 GiB).
 */
export function cloudRunCpu(memoryMiB: number): number {
  if (memoryMiB > 8192) return 4;
  if (memoryMiB > 4096) return 2;
  return 1;
}

/** Physical names of one router, from its prefix. Each stays within its service's limit. */
export interface RouterNames {
  /** Cloud Run service (at most 49 characters). */
  readonly service: string;
  /** Service account id (6-30 characters). */
  readonly serviceAccount: string;
  /** Firestore database id (4-63 characters; never `(default)`). */
  readonly database: string;
  /** Secret Manager secret of the tenant key hashes. */
  readonly keyHashesSecret: string;
  /** Log bucket and the sink and exclusion that route the service's logs to it. */
  readonly logBucket: string;
  /** Log-based metric ids. */
  readonly requestsMetric: string;
  readonly costMetric: string;
  readonly overheadMetric: string;
  readonly fallbacksMetric: string;
  readonly retriesMetric: string;
  readonly budgetMetric: string;
  readonly guardMetric: string;
}

export function routerNames(prefix: string): RouterNames {
  return {
    service: fitName([prefix, 'router'], 49),
    serviceAccount: fitName([prefix, 'router'], 30),
    database: fitName([prefix, 'router'], 63),
    keyHashesSecret: fitName([prefix, 'router-key-hashes'], 255),
    logBucket: fitName([prefix, 'router-logs'], 100),
    requestsMetric: fitName([prefix, 'router-requests'], 100),
    costMetric: fitName([prefix, 'router-cost'], 100),
    overheadMetric: fitName([prefix, 'router-overhead'], 100),
    fallbacksMetric: fitName([prefix, 'router-fallbacks'], 100),
    retriesMetric: fitName([prefix, 'router-retries'], 100),
    budgetMetric: fitName([prefix, 'router-budget-used'], 100),
    guardMetric: fitName([prefix, 'router-guard'], 100),
  };
}

/** Secret Manager secret id of the API key the router sends to the GPU endpoint `endpoint`. */
export function endpointKeySecretName(prefix: string, endpoint: string): string {
  return fitName([prefix, endpoint, 'api-key'], 255);
}

/**
 * The bundle bucket: bucket names are global, so the project id is part of it (prefix ≤ 20 +
 * `-router-` + project id ≤ 30 = at most 58 of the 63 characters).
 */
export function bundleBucketName(prefix: string, project: string): string {
  return `${prefix}-router-${project}`;
}

/**
 * Object names carry the SHA-256 of their content (new bytes, new object, new revision) and the
 * prefix, like every other name of the router.
 */
export function bundleObjectName(prefix: string, sha256: string): string {
  return `${prefix}-router-${sha256}.js`;
}

export function configObjectName(prefix: string, sha256: string): string {
  return `${prefix}-config-${sha256}.json`;
}

/**
 * The Node.js 22 runtime image Cloud Run's own Node.js runtime (source deploys, functions) runs on,
 * from the Artifact Registry of `region`: Google rebuilds it with OS and Node.js security patches,
 * and Cloud Run resolves the tag to a digest when it creates a revision.
 */
export function defaultRouterImage(region: string): string {
  return `${region}-docker.pkg.dev/serverless-runtimes/google-22/runtimes/nodejs22`;
}
