import type { GoogleAuth } from 'google-auth-library';
import type { CancelSignal } from '../engine/cancel';
import { clip } from '../engine/quote';
import { describe, isObject } from '../providers/errors';
import { VERTEX_SCOPE } from '../providers/vertex';
import { postGuardJson } from './http';
import { mapLimit } from './map-limit';
import { MODEL_ARMOR_NANO_PER_TOKEN } from './prices';
import { GuardError, orderPolicies, type GuardAdapter, type GuardPolicy, type GuardRequest, type GuardVerdict } from './types';

export interface ModelArmorGuardOptions {
  /** The template, `projects/<project>/locations/<location>/templates/<id>`. */
  readonly template: string;
  /** @default - the template location's regional endpoint, `https://modelarmor.<location>.rep.googleapis.com` */
  readonly baseUrl?: string;
  /**
   * Returns an OAuth 2 access token with the cloud-platform scope.
   * @default - Application Default Credentials from google-auth-library (on Cloud Run, the
   *   service account through the metadata server), as the Vertex AI adapter gets its token
   */
  readonly accessToken?: () => Promise<string>;
  /** @default MODEL_ARMOR_NANO_PER_TOKEN */
  readonly nanoPerToken?: number;
}

const TEMPLATE = /^projects\/([^/]+)\/locations\/([^/]+)\/templates\/([^/]+)$/;

/** The regional endpoint of a location: Model Armor serves sanitize calls on regional endpoints only. */
export function modelArmorEndpoint(location: string): string {
  return `https://modelarmor.${location}.rep.googleapis.com`;
}

/** Sanitize calls in flight at once for one check (each text is its own call). */
const CONCURRENCY = 8;

/**
 * Google Cloud Model Armor: `:sanitizeUserPrompt` for input, `:sanitizeModelResponse` for output,
 * one call per text (a de-identified text must go back to its own message). The template decides
 * the filters and their confidence levels; a verdict reads which of them matched:
 * `rai` and `csam` → content, `pi_and_jailbreak` → prompt_attack, `malicious_uris` →
 * malicious_uri, `sdp` → pii (a mask when Sensitive Data Protection de-identified the text, a block
 * when it only inspected: PII the template cannot mask must not pass).
 */
export class ModelArmorGuard implements GuardAdapter {
  readonly kind = 'model-armor';
  private readonly base: string;
  private readonly where: string;
  private readonly accessToken: () => Promise<string>;
  private readonly nanoPerToken: number;

  constructor(private readonly options: ModelArmorGuardOptions) {
    const m = TEMPLATE.exec(options.template);
    if (!m) throw new Error(`Model Armor template must be projects/<project>/locations/<location>/templates/<id> (got ${JSON.stringify(clip(options.template, 200))})`);
    this.base = (options.baseUrl ?? modelArmorEndpoint(m[2])).replace(/\/+$/, '');
    this.where = `model armor template '${clip(m[3], 63)}'`;
    this.accessToken = options.accessToken ?? defaultAccessToken;
    this.nanoPerToken = options.nanoPerToken ?? MODEL_ARMOR_NANO_PER_TOKEN;
  }

  async prepare(): Promise<void> {
    if (this.accessToken === defaultAccessToken) await googleAuth();
  }

  async check(request: GuardRequest, signal: CancelSignal): Promise<GuardVerdict> {
    let token: string;
    try {
      token = await this.accessToken();
    } catch (error) {
      throw new GuardError('auth', `${this.where}: no Google credentials: ${clip(describe(error), 200)}`);
    }
    if (!token) throw new GuardError('auth', `${this.where}: no Google access token`);
    const input = request.source === 'input';
    const url = `${this.base}/v1/${this.options.template}:${input ? 'sanitizeUserPrompt' : 'sanitizeModelResponse'}`;
    const headers = { authorization: `Bearer ${token}` };
    const results = await mapLimit(request.texts, CONCURRENCY, async (text) => {
      const body = input ? { userPromptData: { text } } : { modelResponseData: { text } };
      return this.read(await postGuardJson(this.where, url, headers, body, signal), text);
    });
    const costNanoUsd = request.texts.reduce((sum, t) => sum + Math.ceil(t.length / 4) * this.nanoPerToken, 0);
    const blocked = results.flatMap((r) => r.blocked);
    if (results.some((r) => r.block)) return { action: 'block', policies: orderPolicies(blocked), costNanoUsd };
    if (results.some((r) => r.masked !== undefined)) {
      return { action: 'mask', policies: ['pii'], texts: results.map((r, i) => r.masked ?? request.texts[i]), costNanoUsd };
    }
    return { action: 'allow', policies: [], costNanoUsd };
  }

  /** One sanitize answer: a block (and by which policies), a de-identified text, or a pass. */
  private read(answer: unknown, text: string): { block: boolean; blocked: GuardPolicy[]; masked?: string } {
    const result = isObject(answer) ? answer.sanitizationResult : undefined;
    if (!isObject(result) || (result.filterMatchState !== 'MATCH_FOUND' && result.filterMatchState !== 'NO_MATCH_FOUND')) {
      throw new GuardError('bad_response', `${this.where}: answer has no sanitizationResult.filterMatchState`);
    }
    const filters = isObject(result.filterResults) ? result.filterResults : {};
    const blocked: GuardPolicy[] = [];
    let masked: string | undefined;
    let unnamed = false;
    for (const [name, value] of Object.entries(filters)) {
      const policy = FILTER_POLICIES[name];
      if (name === 'sdp') {
        const sdp = isObject(value) && isObject(value.sdpFilterResult) ? value.sdpFilterResult : {};
        const deidentify = isObject(sdp.deidentifyResult) ? sdp.deidentifyResult : undefined;
        const data = deidentify && isObject(deidentify.data) ? deidentify.data : undefined;
        if (matched(deidentify) && data && typeof data.text === 'string') masked = data.text;
        else if (matched(deidentify) || matched(isObject(sdp.inspectResult) ? sdp.inspectResult : undefined)) blocked.push('pii');
        continue;
      }
      // Each filter's result sits under its own key (raiFilterResult, piAndJailbreakFilterResult…).
      const inner = isObject(value) ? Object.values(value).find(isObject) : undefined;
      if (!matched(inner)) continue;
      if (policy) blocked.push(policy);
      else unnamed = true; // a filter this router does not know: still a match
    }
    const block = blocked.length > 0 || unnamed || (result.filterMatchState === 'MATCH_FOUND' && masked === undefined);
    if (!block && (result.invocationResult === 'FAILURE' || result.invocationResult === 'PARTIAL')) {
      // Some filters did not run: no verdict can be given on what they would have found.
      throw new GuardError('server', `${this.where}: invocationResult ${clip(String(result.invocationResult), 20)}`);
    }
    return { block, blocked, masked: block ? undefined : masked === text ? undefined : masked };
  }
}

const FILTER_POLICIES: Readonly<Record<string, GuardPolicy>> = {
  rai: 'content',
  csam: 'content',
  pi_and_jailbreak: 'prompt_attack',
  malicious_uris: 'malicious_uri',
};

function matched(result: Record<string, unknown> | undefined): boolean {
  return result !== undefined && result.matchState === 'MATCH_FOUND';
}

let sharedAuth: Promise<GoogleAuth> | undefined;

/** One GoogleAuth for the process, loaded on first use (as providers/vertex.ts does for Vertex AI). */
function googleAuth(): Promise<GoogleAuth> {
  sharedAuth ??= import('google-auth-library').then((m) => new m.GoogleAuth({ scopes: [VERTEX_SCOPE] }));
  return sharedAuth;
}

async function defaultAccessToken(): Promise<string> {
  return (await (await googleAuth()).getAccessToken()) ?? '';
}
