import { join, joinKey, type Problems } from '../design/problems';
import { quote } from '../design/quote';

/** The guard variables of lib/router/deploy-env.ts (`ROUTER_ENV.guardKind` and its settings) all start so. */
export const GUARD_ENV_PREFIX = 'AI_STACK_GUARD_';

/**
 * Checks a router's `guardrail` prop: it sets only guard variables, so a guardrail of your own cannot
 * replace the router's config, store or secrets by naming one of their variables.
 */
export function validateGuardrailProp(guardrail: { readonly routerEnvironment?: unknown } | undefined, path: string, problems: Problems): void {
  if (guardrail === undefined) return;
  const env = guardrail.routerEnvironment;
  if (env === null || typeof env !== 'object' || Array.isArray(env)) {
    problems.add(join(path, 'routerEnvironment'), `must be a map of the router's guard variables (got ${quote(env)})`);
    return;
  }
  for (const key of Object.keys(env)) {
    if (!key.startsWith(GUARD_ENV_PREFIX)) {
      problems.add(joinKey(join(path, 'routerEnvironment'), key), `is not a guard variable: a guardrail sets only the ${GUARD_ENV_PREFIX}* variables of lib/router/deploy-env.ts (ROUTER_ENV.guardKind and its settings)`);
    }
  }
}
