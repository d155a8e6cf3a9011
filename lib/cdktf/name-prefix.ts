import { TerraformStack } from 'cdktf';
import type { IConstruct } from 'constructs';
import { defaultNamePrefix } from '../design/naming';

/** `namePrefix`, or the default derived from the id of the construct's stack. */
export function namePrefixOf(scope: IConstruct, namePrefix: string | undefined): string {
  return namePrefix ?? defaultNamePrefix(TerraformStack.of(scope).node.id);
}
