import { DataGoogleClientConfig } from '@cdktf/provider-google/lib/data-google-client-config';
import { DataGoogleProject } from '@cdktf/provider-google/lib/data-google-project';
import { DataLossPreventionDeidentifyTemplate } from '@cdktf/provider-google/lib/data-loss-prevention-deidentify-template';
import { DataLossPreventionInspectTemplate } from '@cdktf/provider-google/lib/data-loss-prevention-inspect-template';
import { ModelArmorTemplate } from '@cdktf/provider-google/lib/model-armor-template';
import { ProjectIamMember } from '@cdktf/provider-google/lib/project-iam-member';
import type { TerraformResource } from 'cdktf';
import { Construct } from 'constructs';
import type { GuardrailDesign } from '../design/guardrails';
import { fitName, type NamePrefixProps } from '../design/naming';
import { refuseInvalidProps } from '../design/problems';
import { namePrefixOf } from '../cdktf/name-prefix';
import { warn } from '../cdktf/warnings';
import { ROUTER_ENV, type GuardKind } from '../router/deploy-env';
import { planModelArmor, type ModelArmorPlan } from './guardrail/rules';
import { validateGcpGuardrailProps } from './guardrail/validate';

export { DLP_INFO_TYPES, MODEL_ARMOR_CONFIDENCE, RAI_FILTER_SOURCES, SDP_BASIC_INFO_TYPES, planModelArmor, type ModelArmorPlan, type SdpPlan } from './guardrail/rules';

/**
 * A guard the Google Cloud router calls before any paid call and on every answer. `Guardrail` is
 * one; a team that runs its own Model Armor template implements this to hand it to a `ModelRouter`.
 */
export interface IRouterGuardrail {
  /** Variables the router reads to reach the guard (`ROUTER_ENV.guardKind` and its settings, lib/router/deploy-env.ts). */
  readonly routerEnvironment: Readonly<Record<string, string>>;
  /**
   * The section the router's guard stage runs itself (blocked words, denied topics, profanity, the
   * blocked message, the fail mode), written into the router's config.
   * @default - none: the router runs no local filters, only the cloud guard
   */
  readonly design?: GuardrailDesign;
  /** Lets the service account sanitize with the guard; returns the grants, which the router's service waits for. */
  grantUse(serviceAccountEmail: string): TerraformResource[];
}

/**
 * Props of the Google Cloud {@link Guardrail}: the neutral guardrails design plus the GCP fields.
 * Unknown props are refused.
 */
export interface GuardrailProps extends GuardrailDesign, NamePrefixProps {
  /**
   * Location of the Model Armor template and the Sensitive Data Protection templates: a region
   * Model Armor serves (the router's, for the lowest latency: it calls
   * `modelarmor.<location>.rep.googleapis.com`), or the multi-region `us` or `eu`.
   */
  readonly location: string;
  /**
   * Project of the templates and of the IAM grants.
   * @default - the provider's project
   */
  readonly project?: string;
  /**
   * Model Armor detects each prompt's language and screens it in that language, instead of
   * screening everything as English.
   * @default true
   */
  readonly multiLanguageDetection?: boolean;
}

/** The cloud fields of the props: the rest is the guardrails design the router runs. */
const CLOUD_FIELDS = ['namePrefix', 'location', 'project', 'multiLanguageDetection'];

/** Physical names of a guardrail whose name prefix is `prefix`. */
export function guardrailNames(prefix: string): { readonly template: string; readonly inspectTemplate: string; readonly deidentifyTemplate: string } {
  return {
    template: fitName([prefix, 'guardrail'], 63),
    inspectTemplate: fitName([prefix, 'guardrail-inspect'], 100),
    deidentifyTemplate: fitName([prefix, 'guardrail-deidentify'], 100),
  };
}

/** The Model Armor role that holds only the sanitize permissions (no template read or write). */
export const MODEL_ARMOR_USER_ROLE = 'roles/modelarmor.user';

/**
 * The design's guardrails on Google Cloud: a Model Armor template (responsible-AI filters, the
 * prompt-injection and jailbreak filter, the malicious URI filter, Sensitive Data Protection for PII,
 * enforcement INSPECT_AND_BLOCK) that the router calls with `sanitizeUserPrompt` before any paid call
 * and `sanitizeModelResponse` on every answer. What Model Armor cannot express (denied topics,
 * blocked words, profanity) the router enforces itself, and a synth warning says so. See
 * docs/gcp/guardrail.md.
 */
export class Guardrail extends Construct implements IRouterGuardrail {
  public readonly namePrefix: string;
  /** What the template holds, and what the router enforces itself. */
  public readonly plan: ModelArmorPlan;
  /** The guardrails section the router's guard stage runs (the props without the GCP fields). */
  public readonly design: GuardrailDesign;
  public readonly template: ModelArmorTemplate;
  /** `projects/<p>/locations/<l>/templates/<id>`: what the router sanitizes with. */
  public readonly templateName: string;
  /** The inspect template of the design's infoTypes (advanced Sensitive Data Protection only). */
  public readonly inspectTemplate?: DataLossPreventionInspectTemplate;
  /** The de-identify template that masks them (when the design masks). */
  public readonly deidentifyTemplate?: DataLossPreventionDeidentifyTemplate;
  /** roles/dlp.user and roles/dlp.reader of the Model Armor service agent (advanced Sensitive Data Protection only). */
  public readonly serviceAgentGrants: readonly ProjectIamMember[];
  public readonly routerEnvironment: Readonly<Record<string, string>>;
  /** The grants made by `grantUse`, in call order. */
  public readonly grants: ProjectIamMember[] = [];

  private readonly project: string;

  constructor(scope: Construct, id: string, props: GuardrailProps) {
    super(scope, id);
    refuseInvalidProps(this.node.path, (problems) => validateGcpGuardrailProps(props, 'props', problems));
    this.namePrefix = namePrefixOf(this, props.namePrefix);
    const names = guardrailNames(this.namePrefix);
    this.design = Object.fromEntries(Object.entries(props).filter(([k, v]) => !CLOUD_FIELDS.includes(k) && v !== undefined)) as GuardrailDesign;
    this.plan = planModelArmor(props);
    this.project = props.project ?? new DataGoogleClientConfig(this, 'ClientConfig').project;
    const { location } = props;
    const parent = `projects/${this.project}/locations/${location}`;

    // Sensitive Data Protection: the design's infoTypes, masked as `[INFO_TYPE]` when the design masks.
    const sdp = this.plan.sdp;
    const serviceAgentGrants: ProjectIamMember[] = [];
    if (sdp.mode === 'advanced') {
      this.inspectTemplate = new DataLossPreventionInspectTemplate(this, 'InspectTemplate', {
        parent,
        templateId: names.inspectTemplate,
        displayName: names.inspectTemplate,
        description: `PII the guardrail ${names.template} detects`,
        inspectConfig: { infoTypes: sdp.infoTypes.map((name) => ({ name })), minLikelihood: 'POSSIBLE' },
      });
      if (sdp.deidentify) {
        this.deidentifyTemplate = new DataLossPreventionDeidentifyTemplate(this, 'DeidentifyTemplate', {
          parent,
          templateId: names.deidentifyTemplate,
          displayName: names.deidentifyTemplate,
          description: `Masks the PII of the guardrail ${names.template} with its infoType name`,
          deidentifyConfig: {
            // Every infoType of a de-identify template must also be in the inspect template.
            infoTypeTransformations: { transformations: [{ infoTypes: sdp.infoTypes.map((name) => ({ name })), primitiveTransformation: { replaceWithInfoTypeConfig: true } }] },
          },
        });
      }
      // Model Armor calls Sensitive Data Protection as its service agent, which needs these two roles in
      // the templates' project; without them the SDP filter is skipped and the call still succeeds.
      const number = new DataGoogleProject(this, 'Project', { projectId: this.project }).number;
      const agent = `serviceAccount:service-${number}@gcp-sa-modelarmor.iam.gserviceaccount.com`;
      for (const [cid, role] of [['ServiceAgentDlpUser', 'roles/dlp.user'], ['ServiceAgentDlpReader', 'roles/dlp.reader']] as const) {
        serviceAgentGrants.push(new ProjectIamMember(this, cid, { project: this.project, role, member: agent }));
      }
    }
    this.serviceAgentGrants = serviceAgentGrants;

    this.template = new ModelArmorTemplate(this, 'Template', {
      location,
      project: this.project,
      templateId: names.template,
      filterConfig: {
        raiSettings: this.plan.raiFilters.length > 0 ? { raiFilters: this.plan.raiFilters.map((f) => ({ ...f })) } : undefined,
        piAndJailbreakFilterSettings: this.plan.promptAttack ? { filterEnforcement: 'ENABLED', confidenceLevel: this.plan.promptAttack } : { filterEnforcement: 'DISABLED' },
        maliciousUriFilterSettings: { filterEnforcement: 'ENABLED' },
        sdpSettings:
          sdp.mode === 'basic'
            ? { basicConfig: { filterEnforcement: 'ENABLED' } }
            : sdp.mode === 'advanced'
              ? { advancedConfig: { inspectTemplate: this.inspectTemplate!.id, deidentifyTemplate: this.deidentifyTemplate?.id } }
              : undefined,
      },
      templateMetadata: {
        enforcementType: 'INSPECT_AND_BLOCK',
        // A detector that fails must not look like a clean result.
        ignorePartialInvocationFailures: false,
        // The router logs every guard outcome itself, without prompt text.
        logSanitizeOperations: false,
        logTemplateOperations: false,
        multiLanguageDetection: { enableMultiLanguageDetection: props.multiLanguageDetection ?? true },
      },
      dependsOn: serviceAgentGrants.length > 0 ? serviceAgentGrants : undefined,
    });
    this.templateName = this.template.id;
    this.routerEnvironment = { [ROUTER_ENV.guardKind]: 'model-armor' satisfies GuardKind, [ROUTER_ENV.modelArmorTemplate]: this.templateName };

    if (this.plan.routerEnforced.length > 0) {
      warn(
        this,
        'guardrail-router-enforced',
        `Model Armor has no filter for ${this.plan.routerEnforced.join(', ')}: the router's guard stage enforces them itself, on every prompt and answer, before it calls Model Armor (docs/gcp/guardrail.md, "What the router enforces"). Only a router given this guardrail applies them.`,
      );
    }
    if (this.plan.notEnforced.length > 0) {
      warn(
        this,
        'guardrail-not-enforced',
        `${this.plan.notEnforced.join(', ')}: neither Model Armor nor the router's local filter can enforce ${this.plan.notEnforced.length === 1 ? 'it' : 'them'} on Google Cloud (no topic classifier, no managed profanity list), so these parts of the design are not applied here; the RAI filters still apply. Remove them from the design for Google Cloud, or serve the routes that need them from the AWS router (docs/gcp/guardrail.md).`,
      );
    }
  }

  /**
   * Grants `serviceAccountEmail` roles/modelarmor.user on the project. Model Armor has no IAM on a
   * template (its API has no getIamPolicy/setIamPolicy) and is not among the services that read
   * resource attributes in IAM conditions, so the grant cannot name this template: the role holds
   * only the sanitize permissions, so the account can screen text with any template of the project
   * but can read, change or create none.
   */
  public grantUse(serviceAccountEmail: string): TerraformResource[] {
    const grant = new ProjectIamMember(this, this.grants.length === 0 ? 'User' : `User${this.grants.length + 1}`, {
      project: this.project,
      role: MODEL_ARMOR_USER_ROLE,
      member: `serviceAccount:${serviceAccountEmail}`,
    });
    this.grants.push(grant);
    return [grant];
  }
}
