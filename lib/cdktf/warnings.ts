import { Annotations, TerraformStack } from 'cdktf';
import type { IConstruct } from 'constructs';

/**
 * A synth warning of a GCP or Azure construct, as `[ai-stack:<id>] <message>`: cdktf's annotations
 * have no id of their own, so the id leads the message, where `ai-stack synth` (and a reader of the
 * stack's manifest.json) finds it.
 */
export function warn(scope: IConstruct, id: string, message: string): void {
  Annotations.of(scope).addWarning(`[ai-stack:${id}] ${message}`);
}

/** Constructs per stack that created their own network. */
const ownNetworks = new WeakMap<TerraformStack, string[]>();

/**
 * Records that the construct at `scope` created its own network and warns about it; the second such
 * construct in one stack also gets a stack-level warning with the fix.
 */
export function warnOwnNetwork(scope: IConstruct, id: string, what: string, fix: string): void {
  warn(scope, id, `${what} ${fix}`);
  const stack = TerraformStack.of(scope);
  const paths = [...(ownNetworks.get(stack) ?? []), scope.node.path];
  ownNetworks.set(stack, paths);
  if (paths.length === 2) {
    warn(stack, `${id}s`, `${paths[0]} and ${paths[1]} (and any later endpoint given no network) each build their own network with its own NAT: ${fix}`);
  }
}
