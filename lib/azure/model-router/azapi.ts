import { TerraformProvider, TerraformResource, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';

/**
 * An Azure Resource Manager resource written with `azure/azapi`'s `azapi_resource`, for what
 * azurerm 4.55 can only manage through a data plane the stack locks: `azurerm_storage_table` always
 * signs with the account's shared key (its documentation says so; hashicorp/terraform-provider-azurerm
 * #23142, #32249), and the router's storage account has shared keys disabled. ARM creates the same
 * table (`Microsoft.Storage/storageAccounts/tableServices/tables`) with the deployer's Entra identity.
 *
 * azapi has no prebuilt cdktf package, so the resource is written with cdktf's generic classes (as
 * lib/cdktf/random-password.ts does); the provider is added once per stack and takes its
 * credentials from the environment like azurerm (Azure CLI, a service principal, OIDC).
 */

/** Version constraint of azure/azapi written into `required_providers`. */
export const AZAPI_PROVIDER_VERSION = '~> 2.0';

class AzapiProvider extends TerraformProvider {
  constructor(scope: Construct, id: string) {
    super(scope, id, { terraformResourceType: 'azapi', terraformProviderSource: 'azure/azapi', terraformGeneratorMetadata: { providerName: 'azapi', providerVersionConstraint: AZAPI_PROVIDER_VERSION } });
  }

  protected synthesizeAttributes(): Record<string, unknown> {
    return {};
  }
}

const PROVIDER_ID = 'ai-stack-azapi-provider';

/** The stack's one azapi provider (every azapi resource of the stack shares it). */
function azapiProvider(scope: Construct): TerraformProvider {
  const stack = TerraformStack.of(scope);
  return (stack.node.tryFindChild(PROVIDER_ID) as TerraformProvider | undefined) ?? new AzapiProvider(stack, PROVIDER_ID);
}

export interface AzapiResourceProps {
  /** `<resource type>@<api version>`, e.g. `Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01`. */
  readonly type: string;
  readonly name: string;
  /** Resource id of the parent. */
  readonly parentId: string;
}

/** `azapi_resource` with no body: the resource's defaults (a table has no properties to set). */
export class AzapiResource extends TerraformResource {
  private readonly props: AzapiResourceProps;

  constructor(scope: Construct, id: string, props: AzapiResourceProps) {
    super(scope, id, { terraformResourceType: 'azapi_resource', terraformGeneratorMetadata: { providerName: 'azapi', providerVersionConstraint: AZAPI_PROVIDER_VERSION }, provider: azapiProvider(scope) });
    this.props = props;
  }

  /** The resource's ARM id. */
  get id(): string {
    return this.getStringAttribute('id');
  }

  get name(): string {
    return this.props.name;
  }

  protected synthesizeAttributes(): Record<string, unknown> {
    return { type: this.props.type, name: this.props.name, parent_id: this.props.parentId };
  }
}

export interface AzapiResourceActionProps {
  /** `<resource type>@<api version>` of the resource the action is called on. */
  readonly type: string;
  readonly resourceId: string;
  /** The action, e.g. `syncfunctiontriggers`. */
  readonly action: string;
  /** Resources whose replacement calls the action again (`lifecycle.replace_triggered_by`). */
  readonly replaceTriggeredBy?: readonly TerraformResource[];
  readonly dependsOn?: readonly TerraformResource[];
  /** More attributes of the action, after `method` (e.g. `sensitive_response_export_values`, `retry`). */
  readonly extra?: Record<string, unknown>;
}

/** `azapi_resource_action`: one POST of an ARM action, made when the resource is created (or replaced). */
export class AzapiResourceAction extends TerraformResource {
  private readonly props: AzapiResourceActionProps;

  constructor(scope: Construct, id: string, props: AzapiResourceActionProps) {
    super(scope, id, {
      terraformResourceType: 'azapi_resource_action',
      terraformGeneratorMetadata: { providerName: 'azapi', providerVersionConstraint: AZAPI_PROVIDER_VERSION },
      provider: azapiProvider(scope),
      dependsOn: props.dependsOn ? [...props.dependsOn] : undefined,
      lifecycle: props.replaceTriggeredBy ? { replaceTriggeredBy: [...props.replaceTriggeredBy] } : undefined,
    });
    this.props = props;
  }

  protected synthesizeAttributes(): Record<string, unknown> {
    return { type: this.props.type, resource_id: this.props.resourceId, action: this.props.action, method: 'POST', ...this.props.extra };
  }
}
