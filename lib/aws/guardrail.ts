import { createHash } from 'node:crypto';
import { Lazy, Stack } from 'aws-cdk-lib';
import * as bedrock from 'aws-cdk-lib/aws-bedrock';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { GuardrailDesign } from '../design/guardrails';
import { defaultNamePrefix, fitName, type NamePrefixProps } from '../design/naming';
import { refuseInvalidProps } from '../design/problems';
import { ROUTER_ENV, type GuardKind } from '../router/deploy-env';
import { warnAboutEntities } from './guardrail/findings';
import { bedrockPolicies, resolveGuardrail, type ResolvedGuardrail } from './guardrail/mapping';
import { validateAwsGuardrailProps } from './guardrail/validate';

export { BEDROCK_CONTENT_TYPES, BEDROCK_PII_ACTIONS, BEDROCK_PII_ENTITIES, BEDROCK_STRENGTHS } from './guardrail/mapping';

/** The one action a caller of the guardrail needs (the router, or an application of your own). */
export const APPLY_GUARDRAIL_ACTION = 'bedrock:ApplyGuardrail';

/**
 * A guardrail a `ModelRouter` calls on every request and answer: what the router needs of it. An
 * `aws.Guardrail` is one; a team with a guardrail of its own implements this for it (its id and a
 * published version in `routerEnvironment`, `bedrock:ApplyGuardrail` on it in `grantApply`).
 */
export interface IRouterGuardrail {
  /**
   * The environment variables the router reads to call the guardrail (lib/router/deploy-env.ts
   * `ROUTER_ENV`: `guardKind`, and for Bedrock `bedrockGuardrailId`, `bedrockGuardrailVersion`).
   */
  readonly routerEnvironment: Readonly<Record<string, string>>;
  /**
   * The section the router's guard stage runs itself (blocked words, PII masks, the blocked message,
   * the fail mode and the policy per route), written into the router's config.
   * @default - none: the router runs no local filters, only the cloud guard
   */
  readonly design?: GuardrailDesign;
  /** Lets `grantee` apply the guardrail (and use its key, if it has one). */
  grantApply(grantee: iam.IGrantable): iam.Grant;
}

/**
 * Properties of a {@link Guardrail}: the design's `guardrails` section plus the AWS props. Unknown props
 * are refused. The section's router policy (`failMode`, `parallel`, `streamWindowChars`, `timeoutMs`,
 * `routes`) is the router's: the guardrail takes it and builds nothing from it.
 */
export interface GuardrailProps extends GuardrailDesign, NamePrefixProps {
  /**
   * Customer-managed KMS key (symmetric) Bedrock encrypts the guardrail's definition with. The
   * principal deploying the stack needs `kms:Decrypt`, `kms:GenerateDataKey`, `kms:DescribeKey` and
   * `kms:CreateGrant` on it (CloudFormation creates the guardrail as that principal; a `kms.Key` with
   * its default policy delegates to IAM, and the CDK deploy role has them); `grantApply` adds
   * `kms:Decrypt` for every caller.
   * @default - encrypted by Bedrock with an AWS owned key (no key to manage, no KMS charge)
   */
  readonly kmsKey?: kms.IKey;
}

/**
 * The design's guardrails as an Amazon Bedrock guardrail: content filters on prompts and answers,
 * the prompt-attack filter on prompts, denied topics, blocked words and the managed profanity list,
 * PII masked or blocked both ways, and the design's blocked message. A published version of it
 * (`AWS::Bedrock::GuardrailVersion`) is what callers apply; a new version is published exactly when
 * the guardrail's definition changes.
 */
export class Guardrail extends Construct implements IRouterGuardrail {
  /** The design with every default filled in. */
  public readonly resolved: ResolvedGuardrail;
  /** The guardrails section as given (the props without the AWS fields): what the router's config holds. */
  public readonly design: GuardrailDesign;
  /** Prefix of the names this guardrail gives. */
  public readonly namePrefix: string;
  /** The guardrail (its working draft). */
  public readonly guardrail: bedrock.CfnGuardrail;
  /** The published version callers apply: an immutable snapshot of `guardrail`. */
  public readonly version: bedrock.CfnGuardrailVersion;
  public readonly guardrailId: string;
  /** ARN of the guardrail, the resource `bedrock:ApplyGuardrail` is granted on. */
  public readonly guardrailArn: string;
  /** The published version number (a token, e.g. `1`), never `DRAFT`. */
  public readonly guardrailVersion: string;
  /** The key the guardrail is encrypted with; absent with Bedrock's AWS owned key. */
  public readonly kmsKey?: kms.IKey;

  constructor(scope: Construct, id: string, props: GuardrailProps) {
    super(scope, id);
    refuseInvalidProps(this.node.path, (problems) => validateAwsGuardrailProps(props, 'props', problems));

    this.resolved = resolveGuardrail(props);
    this.design = designOf(props);
    this.namePrefix = props.namePrefix ?? defaultNamePrefix(Stack.of(this).stackName);
    this.kmsKey = props.kmsKey;
    // Guardrail names are unique in an account and region: the construct id keeps two of a stack apart.
    const own = id.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
    const name = fitName([this.namePrefix, own || 'guardrail'], 50);

    this.guardrail = new bedrock.CfnGuardrail(this, 'Resource', {
      name,
      description: `Guardrail of ${this.namePrefix} (ai-stack-constructs): content, prompt-attack, denied-topic, word and PII filters`,
      ...bedrockPolicies(props),
      ...(props.kmsKey ? { kmsKeyArn: props.kmsKey.keyArn } : {}),
    });
    this.guardrailId = this.guardrail.attrGuardrailId;
    this.guardrailArn = this.guardrail.attrGuardrailArn;

    // A version's description cannot change in place (CloudFormation replaces the resource: a new
    // version is published, the old one deleted once the stack update succeeds). Carrying a hash of
    // the guardrail as rendered (escape-hatch overrides included, tags excluded) makes that happen
    // exactly when the definition changes.
    this.version = new bedrock.CfnGuardrailVersion(this, 'Version', {
      guardrailIdentifier: this.guardrailId,
      description: Lazy.string({ produce: () => `Definition sha256:${definitionHash(this.guardrail)} (ai-stack-constructs): published when the guardrail changes` }),
    });
    this.guardrailVersion = this.version.attrVersion;

    warnAboutEntities(this, props);
  }

  /** `ROUTER_ENV.guardKind` `bedrock`, this guardrail's id and its published version. */
  public get routerEnvironment(): Readonly<Record<string, string>> {
    const kind: GuardKind = 'bedrock';
    return {
      [ROUTER_ENV.guardKind]: kind,
      [ROUTER_ENV.bedrockGuardrailId]: this.guardrailId,
      [ROUTER_ENV.bedrockGuardrailVersion]: this.guardrailVersion,
    };
  }

  /**
   * `bedrock:ApplyGuardrail` on this guardrail only, and `kms:Decrypt` on its key when it has one
   * (Bedrock user guide, "Create a customer managed key for your guardrail": users of an encrypted
   * guardrail need it).
   *
   * IAM authorizes ApplyGuardrail on the guardrail resource type,
   * `arn:${Partition}:bedrock:${Region}:${Account}:guardrail/${GuardrailId}` (Service Authorization
   * Reference, "Actions, resources, and condition keys for Amazon Bedrock"; the Bedrock user guide's
   * ApplyGuardrail statement names the same ARN). It has no version-qualified form, so the grant
   * covers every version of this one guardrail; the router applies the version its environment names.
   */
  public grantApply(grantee: iam.IGrantable): iam.Grant {
    const grant = iam.Grant.addToPrincipal({ grantee, actions: [APPLY_GUARDRAIL_ACTION], resourceArns: [this.guardrailArn] });
    this.kmsKey?.grantDecrypt(grantee);
    return grant;
  }
}

/** The props without the AWS fields and without unset ones. */
function designOf(props: GuardrailProps): GuardrailDesign {
  const aws: readonly string[] = ['namePrefix', 'kmsKey'] satisfies (keyof GuardrailProps)[];
  return Object.fromEntries(Object.entries(props).filter(([k, v]) => !aws.includes(k) && v !== undefined)) as GuardrailDesign;
}

/** SHA-256 of the guardrail's rendered CloudFormation properties without its tags, keys sorted. */
function definitionHash(guardrail: bedrock.CfnGuardrail): string {
  // The rendering aws-lambda's `currentVersion` hashes too: what CloudFormation will receive.
  const rendered = Stack.of(guardrail).resolve((guardrail as unknown as { _toCloudFormation(): object })._toCloudFormation()) as {
    Resources: Record<string, { Properties?: Record<string, unknown> }>;
  };
  const { Tags: _tags, ...definition } = Object.values(rendered.Resources)[0]?.Properties ?? {};
  return createHash('sha256').update(stableJson(definition)).digest('hex').slice(0, 32);
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
