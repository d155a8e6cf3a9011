// What `ai-stack check` must know of the model router on Google Cloud. Pure: no cdktf or provider, so
// the design's validation runs it without loading them; the construct runs it on its props too.
import { isToken, join, type Problems } from '../../design/problems';
import { quote } from '../../design/quote';
import type { RouterDesign } from '../../design/router';

/** A Google Cloud region (the pattern `region.gcp` is checked with), or Vertex AI's global endpoint. */
const VERTEX_LOCATION = /^([a-z]+-[a-z]+\d+|global)$/;

const isEntry = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Rules GCP adds to the neutral router rules (which refuse tokens in every field fixed at synth): a
 * Vertex AI target's `region` is a Google Cloud region or `global`.
 */
export function validateRouterOnGcp(router: RouterDesign, path: string, problems: Problems): void {
  const models = Array.isArray(router.models) ? router.models : [];
  models.forEach((m, i) => {
    if (!isEntry(m) || m.provider !== 'vertex') return;
    const region = m.region;
    if (typeof region === 'string' && !isToken(region) && !VERTEX_LOCATION.test(region)) {
      problems.add(join(join(join(path, 'models'), i), 'region'), `must be a Google Cloud region for a Vertex AI target, e.g. 'us-central1', or 'global' (got ${quote(region)})`);
    }
  });
}

/** Cloud Storage refuses bucket names that begin with `goog` or hold `google` or a close misspelling. */
const GOOGLE_IN_BUCKET = /^goog|g[o0][o0]g[l1]e/;

/**
 * The router's bucket is named `<prefix>-router-<project>` (bucket names are global): a prefix
 * Cloud Storage refuses in a bucket name is refused here, with `path` the prefix's path.
 */
export function validateRouterNamePrefix(prefix: unknown, path: string, problems: Problems): void {
  if (typeof prefix !== 'string' || isToken(prefix) || !GOOGLE_IN_BUCKET.test(prefix)) return;
  problems.add(path, `must not begin with 'goog' or contain 'google' (or a look-alike such as 'g00gle') when the design has a router on Google Cloud: it starts the name of the router's Cloud Storage bucket, and Cloud Storage refuses such names (got ${quote(prefix)})`);
}

