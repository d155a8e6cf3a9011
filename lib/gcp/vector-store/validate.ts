// Validation of the Google Cloud VectorStore's props: one shape (the design's fields plus the GCP
// props), the neutral rules, GCP's rules (the same `ai-stack check` runs), then the props only the
// construct has.
import { existsSync, statSync } from 'node:fs';
import { validateNamePrefix } from '../../design/naming';
import { isToken, join, type Problems } from '../../design/problems';
import { quote } from '../../design/quote';
import { arrayOf, bool, checkShape, extendShape, num, obj, recordOf, str, type Shape } from '../../design/shape';
import { validateVectorStore, vectorStoreShape } from '../../design/vector-store';
import { gcpRules } from '../rules';
import type { VectorStoreProps } from '../vector-store';
import { validateBucketNamePart } from './rules';

export const gcpVectorStorePropsShape: Shape = extendShape(
  vectorStoreShape,
  {
    namePrefix: str,
    region: str,
    project: str,
    sourceBucket: str,
    serviceAccountEmail: str,
    network: obj({ network: str, subnetwork: str }, ['network', 'subnetwork']),
    subnetCidr: str,
    encryptionKey: str,
    createEncryptionKey: bool,
    machineType: str,
    shardSize: str,
    minReplicas: num,
    maxReplicas: num,
    taskTimeoutSeconds: num,
    maxRetries: num,
    queryServiceAccounts: arrayOf(str),
    notificationChannels: arrayOf(str),
    modelPrices: recordOf(obj({ inputPer1kUsd: num, outputPer1kUsd: num })),
    image: str,
    bundlePath: str,
  },
  ['region'],
);

const REGION = /^[a-z]+-[a-z]+\d+$/;
const PROJECT = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
const BUCKET = /^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/;
const SERVICE_ACCOUNT = /^[a-z][a-z0-9-]{4,28}[a-z0-9]@[a-z0-9.-]+\.iam\.gserviceaccount\.com$|^[^@\s]+@developer\.gserviceaccount\.com$/;
const KMS_KEY = /^projects\/[^/\s]+\/locations\/[^/\s]+\/keyRings\/[^/\s]+\/cryptoKeys\/[^/\s]+$/;
const CHANNEL = /^projects\/[^/\s]+\/notificationChannels\/[^/\s]+$/;
const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;
export const SHARD_SIZES: readonly string[] = ['SHARD_SIZE_SMALL', 'SHARD_SIZE_MEDIUM', 'SHARD_SIZE_LARGE'];
/** Machine types Vector Search serves a shard size on (Vector Search docs, "Machine types"): e2-standard-2 only a small shard. */
const SMALL_ONLY_MACHINES: readonly string[] = ['e2-standard-2'];
/** Cloud Run job task timeouts: at most 168 hours. */
export const MAX_TASK_TIMEOUT_SECONDS = 168 * 3600;

const literal = (v: unknown): v is string => typeof v === 'string' && !isToken(v);
const literalNumber = (v: unknown): v is number => typeof v === 'number' && !isToken(v);

/** Adds every problem of `props` to `problems`, each under `path`. */
export function validateGcpVectorStoreProps(props: VectorStoreProps, path: string, problems: Problems): void {
  const before = problems.count;
  checkShape(props, gcpVectorStorePropsShape, path, problems);
  if (problems.count > before) return; // the rules below assume the shape
  validateVectorStore(props, ['gcp'], problems, path);
  gcpRules.vectorStore?.(props, path, problems);
  validateNamePrefix(props.namePrefix, path, problems);
  validateBucketNamePart(props.namePrefix, join(path, 'namePrefix'), problems);
  validateBucketNamePart(props.name, join(path, 'name'), problems);
  validateOverrides(props, path, problems);
}

/** An account allowed to query: the deployed index takes JWTs that service accounts sign, nothing else. */
export function validateQueryServiceAccount(email: unknown, path: string, problems: Problems): void {
  if (literal(email) && !SERVICE_ACCOUNT.test(email)) {
    problems.add(path, `must be a service account's email: the deployed index accepts JWTs that service accounts sign, '<id>@<project>.iam.gserviceaccount.com' (got ${quote(email)})`);
  }
}

function validateOverrides(p: VectorStoreProps, path: string, problems: Problems): void {
  const at = (field: string) => join(path, field);
  if (literal(p.region) && !REGION.test(p.region)) problems.add(at('region'), `must be a Google Cloud region such as 'us-central1' (got ${quote(p.region)})`);
  if (literal(p.project) && !PROJECT.test(p.project)) {
    problems.add(at('project'), `must be a GCP project id: 6-30 lowercase letters, digits or hyphens, starting with a letter and not ending with a hyphen (got ${quote(p.project)})`);
  }
  if (literal(p.sourceBucket) && !BUCKET.test(p.sourceBucket)) problems.add(at('sourceBucket'), `must be a Cloud Storage bucket name (3-63 lowercase letters, digits, '-', '_' or '.'), not a gs:// URL (got ${quote(p.sourceBucket)})`);
  if (literal(p.serviceAccountEmail) && !SERVICE_ACCOUNT.test(p.serviceAccountEmail)) {
    problems.add(at('serviceAccountEmail'), `must be a service account's email, '<id>@<project>.iam.gserviceaccount.com' (got ${quote(p.serviceAccountEmail)})`);
  }
  p.queryServiceAccounts?.forEach((email, i) => validateQueryServiceAccount(email, join(at('queryServiceAccounts'), i), problems));
  if (literal(p.encryptionKey) && !KMS_KEY.test(p.encryptionKey)) {
    problems.add(at('encryptionKey'), `must be a Cloud KMS key id, 'projects/<p>/locations/<l>/keyRings/<ring>/cryptoKeys/<key>' (got ${quote(p.encryptionKey)})`);
  }
  if (p.encryptionKey !== undefined && p.createEncryptionKey === true) {
    problems.add(at('createEncryptionKey'), 'cannot be true together with encryptionKey: either bring your key (encryptionKey) or let the construct create one, not both');
  }
  if (p.network !== undefined && p.subnetCidr !== undefined) problems.add(at('subnetCidr'), 'applies only to the network the construct creates; it cannot be given with network');
  if (literal(p.subnetCidr)) {
    const m = CIDR.exec(p.subnetCidr);
    if (!m || m.slice(1, 5).some((o) => Number(o) > 255) || Number(m[5]) > 29 || Number(m[5]) < 8) {
      problems.add(at('subnetCidr'), `must be an IPv4 range with a prefix length of 8 to 29, such as '10.100.0.0/28' (got ${quote(p.subnetCidr)})`);
    }
  }
  p.notificationChannels?.forEach((c, i) => {
    if (literal(c) && !CHANNEL.test(c)) problems.add(join(at('notificationChannels'), i), `must be a notification channel, 'projects/<p>/notificationChannels/<id>' (got ${quote(c)})`);
  });
  if (literal(p.shardSize) && !SHARD_SIZES.includes(p.shardSize)) problems.add(at('shardSize'), `must be one of ${SHARD_SIZES.map((s) => quote(s)).join(', ')} (got ${quote(p.shardSize)})`);
  const machine = p.machineType ?? 'e2-standard-2';
  const shard = p.shardSize ?? 'SHARD_SIZE_SMALL';
  if (literal(machine) && literal(shard) && SMALL_ONLY_MACHINES.includes(machine) && shard !== 'SHARD_SIZE_SMALL') {
    problems.add(at('machineType'), `${quote(machine)} serves only SHARD_SIZE_SMALL indexes; for ${shard} choose a larger machine such as 'e2-standard-16' (medium) or 'e2-highmem-16' (large)`);
  }
  if (literal(p.machineType) && !/^[a-z][a-z0-9]*-[a-z0-9-]+$/.test(p.machineType)) problems.add(at('machineType'), `must be a Compute Engine machine type such as 'e2-standard-2' (got ${quote(p.machineType)})`);
  const min = p.minReplicas ?? 1;
  const max = p.maxReplicas ?? Math.max(1, literalNumber(min) ? min : 1);
  if (literalNumber(p.minReplicas) && (!Number.isInteger(p.minReplicas) || p.minReplicas < 1)) problems.add(at('minReplicas'), `must be a whole number >= 1: a deployed index always runs on at least one node (got ${p.minReplicas})`);
  if (literalNumber(p.maxReplicas) && (!Number.isInteger(p.maxReplicas) || p.maxReplicas < 1)) problems.add(at('maxReplicas'), `must be a whole number >= 1 (got ${p.maxReplicas})`);
  else if (literalNumber(min) && literalNumber(max) && max < min) problems.add(at('maxReplicas'), `must be at least minReplicas (${max} < ${min})`);
  if (literalNumber(p.taskTimeoutSeconds) && (!Number.isInteger(p.taskTimeoutSeconds) || p.taskTimeoutSeconds < 60 || p.taskTimeoutSeconds > MAX_TASK_TIMEOUT_SECONDS)) {
    problems.add(at('taskTimeoutSeconds'), `must be whole seconds from 60 to ${MAX_TASK_TIMEOUT_SECONDS} (Cloud Run's 168-hour limit on a job task) (got ${p.taskTimeoutSeconds})`);
  }
  if (literalNumber(p.maxRetries) && (!Number.isInteger(p.maxRetries) || p.maxRetries < 0 || p.maxRetries > 10)) problems.add(at('maxRetries'), `must be a whole number from 0 to 10 (Cloud Run's limit) (got ${p.maxRetries})`);
  if (literal(p.image) && (p.image.trim() === '' || /\s/.test(p.image))) problems.add(at('image'), `must be a container image reference with node 22 or later on its PATH (got ${quote(p.image)})`);
  if (p.bundlePath !== undefined) {
    if (!literal(p.bundlePath)) problems.add(at('bundlePath'), 'must be a literal path: the file is read and hashed at synth');
    else if (!existsSync(p.bundlePath) || !statSync(p.bundlePath).isFile()) problems.add(at('bundlePath'), `must be the ingestion bundle file (dist/ingest/gcp/index.js of 'npm run build:router'); nothing is at ${quote(p.bundlePath)}`);
  }
}
