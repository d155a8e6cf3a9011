import {
  GUARDRAIL_DEFAULTS,
  PII_ENTITIES,
  type ContentFiltersDesign,
  type DeniedTopicDesign,
  type FilterStrength,
  type GuardFailMode,
  type GuardrailDesign,
  type GuardrailRouteDesign,
  type PiiEntity,
} from '../../design/guardrails';

/**
 * The design's `guardrails` section as the router runs it: every default applied, plain JSON, in
 * a fixed key order (route overrides sorted by name, entities in catalog order), so the same
 * design always serializes to the same bytes.
 */
export interface RouterGuardConfig {
  readonly blockedMessage: string;
  readonly promptAttack: FilterStrength;
  readonly content: Required<ContentFiltersDesign>;
  readonly profanity: boolean;
  readonly blockedWords: readonly string[];
  readonly pii: { readonly action: 'mask' | 'block'; readonly entities: readonly PiiEntity[] };
  readonly failMode: GuardFailMode;
  readonly parallel: boolean;
  readonly streamWindowChars: number;
  readonly timeoutMs: number;
  /** Per-route overrides, only the fields the design sets. */
  readonly routes: Readonly<Record<string, GuardrailRouteDesign>>;
  /** The design's denied topics, for the topic classifier (present when there are any). */
  readonly deniedTopics?: readonly DeniedTopicDesign[];
  /**
   * The target that classifies prompts against `deniedTopics`: the first of the design's
   * `topicClassifier.models` this router serves (absent on AWS, where Bedrock enforces the topics).
   */
  readonly topicClassifier?: { readonly target: string };
}

/** What the stage does for one route. */
export interface RouteGuardPolicy {
  readonly input: boolean;
  readonly output: boolean;
  readonly failMode: GuardFailMode;
  readonly parallel: boolean;
  readonly streamWindowChars: number;
  readonly timeoutMs: number;
}

const D = GUARDRAIL_DEFAULTS;

/**
 * Builds the guard config from a validated `guardrails` section; `targetIds` are the router's
 * targets, among which the topic classifier is picked.
 */
export function guardConfigFromDesign(g: GuardrailDesign, targetIds: readonly string[] = []): RouterGuardConfig {
  const topics = (g.deniedTopics ?? []).map((t) => ({ name: t.name, definition: t.definition, ...(t.examples?.length ? { examples: [...t.examples] } : {}) }));
  const classifier = g.topicClassifier?.models.find((m) => targetIds.includes(m));
  const entities = new Set(g.pii?.entities ?? D.pii.entities);
  const routes: Record<string, GuardrailRouteDesign> = {};
  for (const name of Object.keys(g.routes ?? {}).sort()) {
    const r = g.routes![name];
    routes[name] = defined({ input: r.input, output: r.output, failMode: r.failMode, parallel: r.parallel });
  }
  return {
    blockedMessage: g.blockedMessage ?? D.blockedMessage,
    promptAttack: g.promptAttack ?? D.promptAttack,
    content: {
      hate: g.content?.hate ?? D.content.hate,
      insults: g.content?.insults ?? D.content.insults,
      sexual: g.content?.sexual ?? D.content.sexual,
      violence: g.content?.violence ?? D.content.violence,
      misconduct: g.content?.misconduct ?? D.content.misconduct,
    },
    profanity: g.profanity ?? D.profanity,
    blockedWords: [...(g.blockedWords ?? [])],
    pii: { action: g.pii?.action ?? D.pii.action, entities: PII_ENTITIES.filter((e) => entities.has(e)) },
    failMode: g.failMode ?? D.failMode,
    parallel: g.parallel ?? D.parallel,
    streamWindowChars: g.streamWindowChars ?? D.streamWindowChars,
    timeoutMs: g.timeoutMs ?? D.timeoutMs,
    routes,
    ...(topics.length > 0 ? { deniedTopics: topics } : {}),
    ...(topics.length > 0 && classifier ? { topicClassifier: { target: classifier } } : {}),
  };
}

/** The policy of `route`: its override over the section's policy. */
export function routeGuardPolicy(config: RouterGuardConfig, route: string): RouteGuardPolicy {
  const r = Object.prototype.hasOwnProperty.call(config.routes, route) ? config.routes[route] : {};
  return {
    input: r.input ?? true,
    output: r.output ?? true,
    failMode: r.failMode ?? config.failMode,
    parallel: r.parallel ?? config.parallel,
    streamWindowChars: config.streamWindowChars,
    timeoutMs: config.timeoutMs,
  };
}

function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
