import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const README = readFileSync(join(__dirname, '../../README.md'), 'utf8');

/** The TypeScript code blocks of the README that build a GpuEndpoint, as written, keyed by the cloud they import. */
export function readmeSnippets(readme = README): { cloud: 'aws' | 'gcp' | 'azure'; code: string }[] {
  return [...readme.matchAll(/```ts\n([\s\S]*?)```/g)]
    .map((m) => m[1])
    .filter((code) => code.includes('new GpuEndpoint'))
    .map((code) => ({ cloud: (/from 'ai-stack-constructs\/(aws|gcp|azure)'/.exec(code)?.[1] ?? 'unknown') as 'aws' | 'gcp' | 'azure', code }));
}
