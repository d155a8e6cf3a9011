import { Fn, TerraformResource, Token } from 'cdktf';
import type { Construct } from 'constructs';
import { AzapiResourceAction } from '../model-router/azapi';

/**
 * The function key of one HTTP function, read with `azure/azapi`'s `azapi_resource_action` (POST
 * `Microsoft.Web/sites/functions/{name}/listkeys`, whose answer is `{ "default": "<key>" }`) into
 * `sensitive_output`, a value Terraform marks sensitive in plans and outputs.
 *
 * Why a key reaches Terraform at all: the stop function's HTTP trigger takes function keys
 * (`authLevel: 'function'`, lib/budget/handlers/azure-entry.ts), and an action group's webhook calls
 * a URL, so the key has to be in the URL it stores. An Entra-authenticated webhook (`aad_auth`) adds a
 * token but the Functions host still asks for the key. Reading it here keeps it out of the
 * configuration and out of any variable; it is in the state, which must be protected like the
 * router's (it already holds the GPU endpoints' keys).
 */
export interface FunctionKeyProps {
  /** The function app's resource id. */
  readonly functionAppId: string;
  /** The HTTP function's name. */
  readonly functionName: string;
  /** Read again when one of these is replaced (a new package: the host may have new keys). */
  readonly replaceTriggeredBy?: readonly TerraformResource[];
  readonly dependsOn?: readonly TerraformResource[];
}

/** The API version of the function's `listkeys` action. */
export const FUNCTION_KEYS_API_VERSION = '2023-12-01';

export class FunctionKey extends AzapiResourceAction {
  constructor(scope: Construct, id: string, props: FunctionKeyProps) {
    super(scope, id, {
      type: `Microsoft.Web/sites/functions@${FUNCTION_KEYS_API_VERSION}`,
      resourceId: `${props.functionAppId}/functions/${props.functionName}`,
      action: 'listkeys',
      ...(props.dependsOn ? { dependsOn: props.dependsOn } : {}),
      ...(props.replaceTriggeredBy ? { replaceTriggeredBy: props.replaceTriggeredBy } : {}),
      extra: {
        sensitive_response_export_values: ['default'],
        // The host indexes the functions a little after the package is in place: until then the
        // function is not found.
        retry: { error_message_regex: ['NotFound', 'not found', '404'], interval_seconds: 15, max_interval_seconds: 60 },
        timeouts: { create: '15m' },
      },
    });
  }

  /** The function's `default` key (sensitive). */
  get value(): string {
    return Token.asString(Fn.lookupNested(this.getAnyMapAttribute('sensitive_output'), ['default']));
  }
}
