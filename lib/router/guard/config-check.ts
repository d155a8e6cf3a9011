import { PII_ENTITIES } from '../../design/guardrails';
import { quote } from '../engine/quote';

/**
 * Checks the `guard` part of a serialized router config (what `guardConfigFromDesign` wrote, or a
 * hand edit of it) for what the guard stage relies on. Returns every problem, each with its JSON
 * path under `at`; `routeNames` are the config's routes, which the overrides must name.
 */
export function checkGuardConfig(value: unknown, routeNames: readonly string[], at = 'guard', targetIds?: readonly string[]): string[] {
  const p: string[] = [];
  if (!isObj(value)) return [`${at}: must be an object (see guardConfigFromDesign)`];
  const strength = (v: unknown) => typeof v === 'string' && STRENGTHS.includes(v);
  if (!isText(value.blockedMessage)) p.push(`${at}.blockedMessage: must be a non-empty string`);
  if (!strength(value.promptAttack)) p.push(`${at}.promptAttack: must be one of ${STRENGTHS.join(', ')} (got ${show(value.promptAttack)})`);
  if (!isObj(value.content)) p.push(`${at}.content: must be an object with ${CATEGORIES.join(', ')}`);
  else for (const c of CATEGORIES) if (!strength(value.content[c])) p.push(`${at}.content.${c}: must be one of ${STRENGTHS.join(', ')} (got ${show(value.content[c])})`);
  if (typeof value.profanity !== 'boolean') p.push(`${at}.profanity: must be true or false`);
  if (!Array.isArray(value.blockedWords) || !value.blockedWords.every(isText)) p.push(`${at}.blockedWords: must be an array of non-empty strings`);
  const pii = value.pii;
  if (!isObj(pii)) p.push(`${at}.pii: must be an object { action, entities }`);
  else {
    if (pii.action !== 'mask' && pii.action !== 'block') p.push(`${at}.pii.action: must be mask or block (got ${show(pii.action)})`);
    if (!Array.isArray(pii.entities) || !pii.entities.every((e) => (PII_ENTITIES as readonly unknown[]).includes(e))) p.push(`${at}.pii.entities: must be an array of ${PII_ENTITIES.join(', ')}`);
  }
  if (value.failMode !== 'closed' && value.failMode !== 'open') p.push(`${at}.failMode: must be closed or open (got ${show(value.failMode)})`);
  if (typeof value.parallel !== 'boolean') p.push(`${at}.parallel: must be true or false`);
  if (!isInt(value.streamWindowChars, 50, 4000)) p.push(`${at}.streamWindowChars: must be a whole number from 50 to 4000 (got ${show(value.streamWindowChars)})`);
  if (!isInt(value.timeoutMs, 100, 30000)) p.push(`${at}.timeoutMs: must be a whole number from 100 to 30000 (got ${show(value.timeoutMs)})`);
  if (value.deniedTopics !== undefined && !(Array.isArray(value.deniedTopics) && value.deniedTopics.every((t) => isObj(t) && isText(t.name) && isText(t.definition) && (t.examples === undefined || (Array.isArray(t.examples) && t.examples.every(isText)))))) {
    p.push(`${at}.deniedTopics: must be an array of { name, definition, examples? } with non-empty strings`);
  }
  if (value.topicClassifier !== undefined) {
    const c = value.topicClassifier;
    if (!isObj(c) || !isText(c.target)) p.push(`${at}.topicClassifier: must be { target: <target id> }`);
    else if (targetIds && !targetIds.includes(c.target)) p.push(`${at}.topicClassifier.target: names no target of the config (got ${quote(c.target)})`);
    if (value.deniedTopics === undefined) p.push(`${at}.topicClassifier: needs deniedTopics to classify against`);
  }
  if (!isObj(value.routes)) p.push(`${at}.routes: must be an object of route overrides`);
  else {
    for (const [name, r] of Object.entries(value.routes)) {
      const rp = `${at}.routes[${JSON.stringify(name)}]`;
      if (!routeNames.includes(name)) p.push(`${rp}: names no route of the config (got ${quote(name)})`);
      if (!isObj(r)) {
        p.push(`${rp}: must be an object { input?, output?, failMode?, parallel? }`);
        continue;
      }
      for (const k of Object.keys(r)) if (!ROUTE_KEYS.includes(k)) p.push(`${rp}.${k}: unknown key; allowed: ${ROUTE_KEYS.join(', ')}`);
      for (const k of ['input', 'output', 'parallel']) if (r[k] !== undefined && typeof r[k] !== 'boolean') p.push(`${rp}.${k}: must be true or false`);
      if (r.failMode !== undefined && r.failMode !== 'closed' && r.failMode !== 'open') p.push(`${rp}.failMode: must be closed or open (got ${show(r.failMode)})`);
    }
  }
  return p;
}

type Json = Record<string, unknown>;
const STRENGTHS: readonly string[] = ['none', 'low', 'medium', 'high'];
const CATEGORIES = ['hate', 'insults', 'sexual', 'violence', 'misconduct'] as const;
const ROUTE_KEYS = ['input', 'output', 'failMode', 'parallel'];
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isText = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';
const isInt = (v: unknown, min: number, max: number) => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
const show = (v: unknown) => (typeof v === 'string' ? quote(v) : v === undefined ? 'nothing' : typeof v === 'object' ? quote(v) : String(v));
