import { join } from 'node:path';
import { App as CdkApp } from 'aws-cdk-lib';
import { Testing } from 'cdktf';
import { AiStack as AwsStack } from '../../lib/aws';
import { AiStack as AzureStack } from '../../lib/azure';
import { loadDesign, type AiStackDesign } from '../../lib/design';
import { AiStack as GcpStack } from '../../lib/gcp';
import { STRICT_CONTEXT } from '../../lib/synth/aws';

export const EXAMPLE = join(__dirname, '../../examples/ai-stack.yaml');

export function exampleDesign(): AiStackDesign {
  return loadDesign(EXAMPLE);
}

/** The example's AWS stack, in strict template-validation mode like the CLI. */
export function awsExample(design = exampleDesign()): AwsStack {
  const app = new CdkApp({ analyticsReporting: false, context: STRICT_CONTEXT });
  return new AwsStack(app, design.name, { design });
}

export function gcpExample(design = exampleDesign()): GcpStack {
  return new GcpStack(Testing.app(), design.name, { design });
}

export function azureExample(design = exampleDesign()): AzureStack {
  return new AzureStack(Testing.app(), design.name, { design });
}

/**
 * Synthesized output with volatile values replaced, for snapshots: a diff then shows exactly what a
 * change alters. Asset hashes become `<hash>`, as does the Azure router package container's
 * `pkg-<24 hex>` (a new router bundle is not a change of the design's output).
 */
export function normalize(json: unknown): unknown {
  return JSON.parse(JSON.stringify(json).replace(/[0-9a-f]{64}/g, '<hash>').replace(/pkg-[0-9a-f]{24}/g, 'pkg-<hash>'));
}
