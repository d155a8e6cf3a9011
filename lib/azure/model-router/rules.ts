// What `ai-stack check` must know of the model router on Azure, and the pure plans the construct
// builds from. Pure: no cdktf or provider, so the design's validation runs it without loading them;
// the construct runs the same functions on its props.
import { isToken, join, type Problems } from '../../design/problems';
import { quote } from '../../design/quote';
import { ROUTER_DEFAULTS, type RouterDesign } from '../../design/router';
import { placeRouter } from '../../design/router-placement';

/** Instance memory sizes Flex Consumption offers, MiB (`instance_memory_in_mb`; 0.25, 1 and 2 vCPU). */
export const FLEX_INSTANCE_MEMORY_MIB: readonly number[] = [512, 2048, 4096];

/**
 * `maximum_instance_count` of a Flex Consumption app: azurerm 4.55 accepts 40 to 1000, the range the
 * service guarantees (lower maximums are a regional preview, allowed by later provider versions).
 */
export const FLEX_MAX_INSTANCES = { min: 40, max: 1000 } as const;

/** `http_concurrency` (HTTP requests per instance) of a Flex Consumption app: 1 to 1000. */
export const FLEX_HTTP_CONCURRENCY = { min: 1, max: 1000 } as const;

/**
 * Azure Functions answers an HTTP request that has not started its response within 230 s with an
 * error, whatever the function timeout (the idle timeout of the platform's load balancer).
 */
export const HTTP_RESPONSE_LIMIT_MS = 230_000;

/** Window sizes of an Azure Monitor log search alert (`window_duration`) up to an hour, minutes. */
export const LOG_ALERT_WINDOW_MINUTES: readonly number[] = [1, 5, 10, 15, 30, 45, 60];

/** Retention of a Log Analytics workspace on the pay-as-you-go tier (PerGB2018), days. */
export const LOG_ANALYTICS_RETENTION_DAYS = { min: 30, max: 730 } as const;

const isEntry = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const literal = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n) && !isToken(n);

/** Rules Azure adds to the neutral router rules, with `path` the router's path (`router`, or `props`). */
export function validateRouterOnAzure(router: RouterDesign, path: string, problems: Problems): void {
  const deployment = isEntry(router.deployment) ? router.deployment : {};
  const at = (key: string) => join(join(path, 'deployment'), key);

  const memory = deployment.memoryMiB;
  if (literal(memory) && !FLEX_INSTANCE_MEMORY_MIB.includes(memory)) {
    problems.add(
      at('memoryMiB'),
      `must be one of ${FLEX_INSTANCE_MEMORY_MIB.join(', ')} MiB on Azure, the instance sizes Flex Consumption offers (got ${quote(memory)}); ${nearest(memory, FLEX_INSTANCE_MEMORY_MIB)} is the nearest`,
    );
  }

  const concurrent = deployment.maxConcurrentRequests;
  if (literal(concurrent) && Number.isInteger(concurrent) && concurrent >= 1 && concurrent < FLEX_MAX_INSTANCES.min) {
    problems.add(
      at('maxConcurrentRequests'),
      `must be at least ${FLEX_MAX_INSTANCES.min} on Azure (got ${concurrent}): a Flex Consumption app scales to at least ${FLEX_MAX_INSTANCES.min} instances, ` +
        `each serving at least one request, so a lower cap cannot be kept. Set ${FLEX_MAX_INSTANCES.min} or more`,
    );
  }

  const days = deployment.logRetentionDays;
  if (literal(days) && Number.isInteger(days) && days >= 1 && (days < LOG_ANALYTICS_RETENTION_DAYS.min || days > LOG_ANALYTICS_RETENTION_DAYS.max)) {
    problems.add(
      at('logRetentionDays'),
      `must be between ${LOG_ANALYTICS_RETENTION_DAYS.min} and ${LOG_ANALYTICS_RETENTION_DAYS.max} days on Azure, the retention a Log Analytics workspace offers (got ${days})`,
    );
  }

  const minutes = isEntry(router.alarms) ? router.alarms.evaluationMinutes : undefined;
  if (literal(minutes) && Number.isInteger(minutes) && minutes >= 1 && !LOG_ALERT_WINDOW_MINUTES.includes(minutes)) {
    problems.add(
      join(join(path, 'alarms'), 'evaluationMinutes'),
      `must be one of ${LOG_ALERT_WINDOW_MINUTES.join(', ')} minutes on Azure, the window sizes of a log search alert (got ${minutes}); ${nearest(minutes, LOG_ALERT_WINDOW_MINUTES)} is the nearest`,
    );
  }

  const routes = Array.isArray(router.routes) ? router.routes : [];
  routes.forEach((r, i) => {
    if (!isEntry(r)) return;
    const deadline = r.deadlineMs ?? ROUTER_DEFAULTS.deadlineMs;
    if (literal(deadline) && deadline > HTTP_RESPONSE_LIMIT_MS) {
      problems.add(
        join(join(join(path, 'routes'), i), 'deadlineMs'),
        `must be at most ${HTTP_RESPONSE_LIMIT_MS} ms on Azure (got ${deadline}): Azure Functions ends an HTTP request whose response has not started within 230 s, whatever the function timeout`,
      );
    }
  });
}

function nearest(value: number, allowed: readonly number[]): number {
  return allowed.reduce((best, a) => (Math.abs(a - value) < Math.abs(best - value) ? a : best), allowed[0]);
}

/** How the design's `maxConcurrentRequests` is kept on Flex Consumption. */
export interface FlexScalePlan {
  /** `maximum_instance_count`. */
  readonly maximumInstanceCount: number;
  /** `http_concurrency`: requests one instance takes at once; also the router's own in-flight cap per instance. */
  readonly httpConcurrency: number;
  /** `maximumInstanceCount × httpConcurrency`: never more than `maxConcurrentRequests`. */
  readonly maxConcurrentRequests: number;
}

/**
 * Instances and per-instance concurrency whose product is at most `maxConcurrentRequests` (validated:
 * a whole number >= 40), with as few instances as the service allows: Flex Consumption bills each
 * instance while it runs, whatever its concurrency, and the router spends its time waiting on
 * providers, so a few busy instances cost less than many idle ones. The count stays within 40..79.
 */
export function flexScalePlan(maxConcurrentRequests: number): FlexScalePlan {
  const httpConcurrency = Math.min(FLEX_HTTP_CONCURRENCY.max, Math.max(FLEX_HTTP_CONCURRENCY.min, Math.floor(maxConcurrentRequests / FLEX_MAX_INSTANCES.min)));
  const maximumInstanceCount = Math.min(FLEX_MAX_INSTANCES.max, Math.max(FLEX_MAX_INSTANCES.min, Math.floor(maxConcurrentRequests / httpConcurrency)));
  return { maximumInstanceCount, httpConcurrency, maxConcurrentRequests: maximumInstanceCount * httpConcurrency };
}

/** The function timeout as host.json writes it, `hh:mm:ss` (at most 900 s: the design's limit). */
export function functionTimeout(seconds: number): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(seconds / 3600))}:${pad(Math.floor((seconds % 3600) / 60))}:${pad(seconds % 60)}`;
}

/** Names of the GPU endpoints the Azure router calls (its `endpoint` targets), in target order. */
export function endpointsCalledOnAzure(router: RouterDesign): string[] {
  return [...new Set(placeRouter(router, 'azure').router.models.filter((m) => m.provider === 'endpoint').map((m) => m.model))];
}
