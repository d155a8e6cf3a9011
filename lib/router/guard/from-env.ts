import { GUARDRAIL_DEFAULTS, type ContentFiltersDesign, type FilterStrength } from '../../design/guardrails';
import { GUARD_KINDS, ROUTER_ENV, type GuardKind } from '../deploy-env';
import { clip } from '../engine/quote';
import { BedrockGuard, type BedrockGuardOptions } from './bedrock';
import { ContentSafetyGuard, type ContentSafetyGuardOptions } from './content-safety';
import { ModelArmorGuard, type ModelArmorGuardOptions } from './model-armor';
import type { GuardAdapter } from './types';

/** What of the design a cloud guard needs at run time (Content Safety's severity thresholds). */
export interface CloudGuardPolicy {
  readonly promptAttack: FilterStrength;
  readonly content: Required<ContentFiltersDesign>;
}

/** Connection settings the environment does not hold (credentials, endpoints of tests). */
export interface CloudGuardOverrides {
  readonly bedrock?: Partial<Omit<BedrockGuardOptions, 'guardrailId' | 'guardrailVersion'>>;
  readonly modelArmor?: Partial<Omit<ModelArmorGuardOptions, 'template'>>;
  readonly contentSafety?: Partial<Omit<ContentSafetyGuardOptions, 'endpoint' | 'promptAttack' | 'content'>>;
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The cloud guard a deployed router calls, from the variables its `Guardrail` construct sets
 * (`ROUTER_ENV.guardKind` and that kind's own): undefined when no kind is set (only the local
 * filter runs). An unknown kind or a missing variable throws, naming the variable, so a
 * misconfigured router fails at start instead of serving unguarded.
 */
export function cloudGuardFromEnv(env: Env, policy: CloudGuardPolicy = GUARDRAIL_DEFAULTS, overrides: CloudGuardOverrides = {}): GuardAdapter | undefined {
  const kind = value(env, ROUTER_ENV.guardKind);
  if (kind === undefined) {
    const stray = [ROUTER_ENV.bedrockGuardrailId, ROUTER_ENV.bedrockGuardrailVersion, ROUTER_ENV.modelArmorTemplate, ROUTER_ENV.contentSafetyEndpoint].filter((v) => value(env, v) !== undefined);
    if (stray.length > 0) throw new Error(`${stray.join(', ')} ${stray.length === 1 ? 'is' : 'are'} set but ${ROUTER_ENV.guardKind} is not; set it to one of ${GUARD_KINDS.join(', ')}`);
    return undefined;
  }
  if (!(GUARD_KINDS as readonly string[]).includes(kind)) throw new Error(`${ROUTER_ENV.guardKind} must be one of ${GUARD_KINDS.join(', ')} (got ${JSON.stringify(clip(kind, 100))})`);
  const need = (name: string, hint: string): string => {
    const v = value(env, name);
    if (v === undefined) throw new Error(`${name} is required when ${ROUTER_ENV.guardKind} is ${kind}: ${hint}`);
    return v;
  };
  switch (kind as GuardKind) {
    case 'bedrock': {
      const guardrailId = need(ROUTER_ENV.bedrockGuardrailId, 'set it to the guardrail id or ARN');
      const guardrailVersion = need(ROUTER_ENV.bedrockGuardrailVersion, 'set it to a published version number');
      if (!/^[1-9][0-9]{0,7}$/.test(guardrailVersion)) throw new Error(`${ROUTER_ENV.bedrockGuardrailVersion} must be a published version number such as 1 (got ${JSON.stringify(clip(guardrailVersion, 40))}); a DRAFT changes under a running router`);
      return new BedrockGuard({ ...overrides.bedrock, guardrailId, guardrailVersion });
    }
    case 'model-armor': {
      const template = need(ROUTER_ENV.modelArmorTemplate, 'set it to projects/<project>/locations/<location>/templates/<id>');
      try {
        return new ModelArmorGuard({ ...overrides.modelArmor, template });
      } catch (error) {
        throw new Error(`${ROUTER_ENV.modelArmorTemplate}: ${(error as Error).message}`);
      }
    }
    case 'content-safety': {
      const endpoint = need(ROUTER_ENV.contentSafetyEndpoint, 'set it to https://<account>.cognitiveservices.azure.com');
      if (!secureUrl(endpoint)) throw new Error(`${ROUTER_ENV.contentSafetyEndpoint} must be an https URL such as https://<account>.cognitiveservices.azure.com (got ${JSON.stringify(clip(endpoint, 200))})`);
      return new ContentSafetyGuard({ ...overrides.contentSafety, endpoint, promptAttack: policy.promptAttack, content: policy.content });
    }
  }
}

function value(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

/** https, or http to this machine (a local test server): a managed identity token never travels in the clear. */
function secureUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'https:' || (url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname));
  } catch {
    return false;
  }
}
