import { CognitiveAccount } from '@cdktf/provider-azurerm/lib/cognitive-account';
import { CognitiveAccountRaiPolicy } from '@cdktf/provider-azurerm/lib/cognitive-account-rai-policy';
import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import type { TerraformResource } from 'cdktf';
import { Construct } from 'constructs';
import type { GuardrailDesign } from '../design/guardrails';
import type { NamePrefixProps } from '../design/naming';
import { refuseInvalidProps } from '../design/problems';
import { namePrefixOf } from '../cdktf/name-prefix';
import { warn } from '../cdktf/warnings';
import { ROUTER_ENV, type GuardKind } from '../router/deploy-env';
import { planRaiPolicy, type RaiPolicyPlan } from './guardrail/rules';
import { validateAzureGuardrailProps } from './guardrail/validate';
import { fitStrictName } from './model-router/names';
import type { IOpenAiAccount } from './model-router';

export { AZURE_CATEGORY_SOURCES, AZURE_SEVERITY_THRESHOLD, planRaiPolicy, type RaiContentFilterPlan, type RaiPolicyPlan } from './guardrail/rules';

/**
 * A guard the Azure router calls before any paid call and on every answer. `Guardrail` is one; a
 * team with its own Content Safety account implements this to hand it to a `ModelRouter`.
 */
export interface IRouterGuardrail {
  /** Variables the router reads to reach the guard (`ROUTER_ENV.guardKind` and its settings, lib/router/deploy-env.ts). */
  readonly routerEnvironment: Readonly<Record<string, string>>;
  /**
   * The section the router's guard stage runs itself (blocked words, denied topics, profanity, PII
   * masks, the blocked message, the fail mode), written into the router's config.
   * @default - none: the router runs no local filters, only the cloud guard
   */
  readonly design?: GuardrailDesign;
  /**
   * Lets the managed identity `principalId` call the guard and, when given, admits `subnetId` (the
   * router's) through the guard's network rules; returns the resources the router's app waits for.
   */
  grantUse(principalId: string, subnetId?: string): TerraformResource[];
  /**
   * The RAI policy (content filters) the Azure OpenAI deployments on `account` use, by name.
   * @default - the deployments keep the account's default policy
   */
  raiPolicyFor?(account: IOpenAiAccount): string | undefined;
}

/**
 * Props of the Azure {@link Guardrail}: the neutral guardrails design plus Azure's own fields.
 * Unknown props are refused.
 */
export interface GuardrailProps extends GuardrailDesign, NamePrefixProps {
  /** Resource group of the Content Safety account. */
  readonly resourceGroupName: string;
  /** Region of the Content Safety account: one that offers Prompt Shields, ideally the router's. */
  readonly location: string;
  /**
   * Subnets the Content Safety account's network rules admit from the start (each needs the
   * `Microsoft.CognitiveServices` service endpoint), beside the router subnet `grantUse` admits.
   * @default - none: only the subnets of the routers granted use
   */
  readonly subnetIds?: readonly string[];
  /**
   * The subscription is approved for modified content filtering (https://aka.ms/oai/modifiedaccess),
   * so a category the design sets to `none` is turned off. Without the approval Azure refuses a
   * filter that is off, and such a category blocks at High severity (a synth warning says so).
   * @default false
   */
  readonly modifiedContentFilteringApproved?: boolean;
}

/** The cloud fields of the props: the rest is the guardrails design the router runs. */
const CLOUD_FIELDS = ['namePrefix', 'resourceGroupName', 'location', 'subnetIds', 'modifiedContentFilteringApproved'];

/** Physical names of a guardrail whose name prefix is `prefix`. */
export function guardrailNames(prefix: string): { readonly contentSafety: string; readonly raiPolicy: string } {
  return {
    // Name and custom subdomain of the account: globally unique, letters, digits and single hyphens.
    contentSafety: fitStrictName(['cs', prefix, 'guard'], 64, true),
    raiPolicy: fitStrictName([prefix, 'guardrail'], 64, true),
  };
}

/** The Content Safety endpoint of an account with custom subdomain `subdomain` (Azure public cloud). */
export function contentSafetyEndpoint(subdomain: string): string {
  return `https://${subdomain}.cognitiveservices.azure.com`;
}

/** The role that lets an identity call the account's data plane (text:analyze, text:shieldPrompt), nothing else. */
export const CONTENT_SAFETY_USER_ROLE = 'Cognitive Services User';

/** The base policy the RAI policy starts from: Microsoft's current default (content filters, Prompt Shields, protected material). */
export const RAI_BASE_POLICY = 'Microsoft.DefaultV2';

/**
 * The design's guardrails on Azure: an RAI policy (content filters on prompt and completion, blocking,
 * Prompt Shields against jailbreaks) that the router's Azure OpenAI deployments use, and an Azure AI
 * Content Safety account the router calls with Prompt Shields (`text:shieldPrompt`) and text
 * analysis (`text:analyze`) on every request, whichever model it routes to. What Azure cannot
 * express (denied topics, blocked words, profanity, PII) the router enforces itself, and a synth
 * warning says so. See docs/azure/guardrail.md.
 */
export class Guardrail extends Construct implements IRouterGuardrail {
  public readonly namePrefix: string;
  public readonly names: ReturnType<typeof guardrailNames>;
  /** The content filters of the RAI policy, and what the router enforces itself. */
  public readonly plan: RaiPolicyPlan;
  /** The guardrails section the router's guard stage runs (the props without the Azure fields). */
  public readonly design: GuardrailDesign;
  /** The Content Safety account (kind `ContentSafety`, Entra ID only, admitting the routers' subnets). */
  public readonly contentSafetyAccount: CognitiveAccount;
  /** `https://<subdomain>.cognitiveservices.azure.com`: what the router calls. */
  public readonly contentSafetyEndpoint: string;
  public readonly routerEnvironment: Readonly<Record<string, string>>;
  /** The role assignments made by `grantUse`, in call order. */
  public readonly grants: RoleAssignment[] = [];

  private readonly subnetIds: string[];
  private readonly policies = new Map<string, CognitiveAccountRaiPolicy>();

  constructor(scope: Construct, id: string, props: GuardrailProps) {
    super(scope, id);
    refuseInvalidProps(this.node.path, (problems) => validateAzureGuardrailProps(props, 'props', problems));
    this.namePrefix = namePrefixOf(this, props.namePrefix);
    this.names = guardrailNames(this.namePrefix);
    this.design = Object.fromEntries(Object.entries(props).filter(([k, v]) => !CLOUD_FIELDS.includes(k) && v !== undefined)) as GuardrailDesign;
    this.plan = planRaiPolicy(props, props.modifiedContentFilteringApproved ?? false);
    this.subnetIds = [...(props.subnetIds ?? [])];

    // Locked down like the router's Azure OpenAI account: Entra ID tokens only (a custom subdomain is
    // what makes them work), and reachable only from admitted subnets through their service endpoint.
    this.contentSafetyAccount = new CognitiveAccount(this, 'ContentSafety', {
      name: this.names.contentSafety,
      resourceGroupName: props.resourceGroupName,
      location: props.location,
      kind: 'ContentSafety',
      skuName: 'S0',
      customSubdomainName: this.names.contentSafety,
      localAuthEnabled: false,
      publicNetworkAccessEnabled: true,
      networkAcls: this.networkAcls(),
    });
    this.contentSafetyEndpoint = contentSafetyEndpoint(this.names.contentSafety);
    this.routerEnvironment = { [ROUTER_ENV.guardKind]: 'content-safety' satisfies GuardKind, [ROUTER_ENV.contentSafetyEndpoint]: this.contentSafetyEndpoint };

    if (this.plan.routerEnforced.length > 0) {
      warn(
        this,
        'guardrail-router-enforced',
        `Azure's content filters and Content Safety have nothing for ${this.plan.routerEnforced.join(', ')}: the router's guard stage enforces them itself, on every prompt and answer, before it calls Content Safety (docs/azure/guardrail.md, "What the router enforces"). Only a router given this guardrail applies them.`,
      );
    }
    if (this.plan.notEnforced.length > 0) {
      warn(
        this,
        'guardrail-not-enforced',
        `${this.plan.notEnforced.join(', ')}: neither Azure's filters nor the router's local filter can enforce ${this.plan.notEnforced.length === 1 ? 'it' : 'them'} (no topic classifier, no managed profanity list, no name or address detection), so these parts of the design are not applied on Azure; the content filters and Prompt Shields still apply. Remove them from the design for Azure, or serve the routes that need them from the AWS router (docs/azure/guardrail.md).`,
      );
    }
    if (this.plan.offWithoutApproval.length > 0) {
      warn(
        this,
        'guardrail-azure-filters-on',
        `the design turns off ${this.plan.offWithoutApproval.join(', ')}, but Azure turns content filters off only for subscriptions approved for modified content filtering: they block at High severity, the least Azure allows. ` +
          'Once approved (https://aka.ms/oai/modifiedaccess), pass modifiedContentFilteringApproved: true.',
      );
    }
  }

  /** Every RAI policy `raiPolicyFor` created, one per Azure OpenAI account. */
  public get raiPolicies(): readonly CognitiveAccountRaiPolicy[] {
    return [...this.policies.values()];
  }

  /**
   * Grants `principalId` "Cognitive Services User" on the Content Safety account only, and admits
   * `subnetId` (each subnet once) to the account's network rules.
   */
  public grantUse(principalId: string, subnetId?: string): TerraformResource[] {
    if (subnetId !== undefined && !this.subnetIds.includes(subnetId)) {
      this.subnetIds.push(subnetId);
      this.contentSafetyAccount.putNetworkAcls(this.networkAcls());
    }
    const grant = new RoleAssignment(this, this.grants.length === 0 ? 'User' : `User${this.grants.length + 1}`, {
      scope: this.contentSafetyAccount.id,
      roleDefinitionName: CONTENT_SAFETY_USER_ROLE,
      principalId,
      principalType: 'ServicePrincipal',
      description: `Guardrail ${this.namePrefix}: Prompt Shields and text analysis`,
    });
    this.grants.push(grant);
    return [grant];
  }

  /**
   * The RAI policy of this guardrail on `account` (created on the first call for that account): its
   * name, for `rai_policy_name` of the account's deployments. The name refers to the policy, so a
   * deployment is created only once its policy exists.
   */
  public raiPolicyFor(account: IOpenAiAccount): string {
    let policy = this.policies.get(account.id);
    if (!policy) {
      policy = new CognitiveAccountRaiPolicy(this, this.policies.size === 0 ? 'RaiPolicy' : `RaiPolicy${this.policies.size + 1}`, {
        name: this.names.raiPolicy,
        cognitiveAccountId: account.id,
        basePolicyName: RAI_BASE_POLICY,
        // Default streaming: completions are filtered before they are streamed, not after.
        mode: 'Default',
        contentFilter: this.plan.contentFilters.map((f) => ({ ...f })),
      });
      this.policies.set(account.id, policy);
    }
    return policy.name;
  }

  private networkAcls(): { defaultAction: string; bypass: string; virtualNetworkRules: { subnetId: string }[] } {
    return { defaultAction: 'Deny', bypass: 'AzureServices', virtualNetworkRules: this.subnetIds.map((subnetId) => ({ subnetId })) };
  }
}
