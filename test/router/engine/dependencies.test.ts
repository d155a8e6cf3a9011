import { RouterConfigError } from '../../../lib/router/config';
import { RouterEngine } from '../../../lib/router/engine/engine';
import { missingAdapterPackages, resolveFromHere } from '../../../lib/router/providers/dependencies';
import { config, fakeFactory, route, target } from './helpers';

const bedrock = target('haiku', { provider: 'bedrock', region: 'us-east-1', baseUrl: undefined });
const vertex = target('flash', { provider: 'vertex', region: 'us-central1', project: 'p', baseUrl: undefined });
const azureEntra = target('gpt', { provider: 'azure-openai', baseUrl: 'https://x.openai.azure.com' });
const azureKey = target('gpt-key', { provider: 'azure-openai', baseUrl: 'https://x.openai.azure.com', apiKey: 'k' });
const endpoint = target('llama');
const all = [bedrock, vertex, azureEntra, azureKey, endpoint];
const cfg = config(all, [route('r', all.map((t) => t.id))]);

/** The error of building an engine, asserting it failed. */
function startError(resolvePackage: (name: string) => boolean): RouterConfigError {
  try {
    new RouterEngine(cfg, { resolvePackage, logger: () => undefined });
  } catch (e) {
    return e as RouterConfigError;
  }
  throw new Error('expected the engine to refuse to start');
}

describe('adapter dependencies are checked when the engine is built (issue #9, item 3)', () => {
  test('a missing package fails at start, naming the target, the package and the npm i command', () => {
    const e = startError((name) => name !== 'google-auth-library');
    expect(e).toBeInstanceOf(RouterConfigError);
    expect(e.problems).toEqual(["router target 'flash' (vertex) needs the package google-auth-library, which is not installed; run: npm i google-auth-library"]);
  });

  test('every target missing something is listed, with one command installing it all', () => {
    const e = startError(() => false);
    const install = 'npm i @aws-sdk/client-bedrock-runtime @smithy/node-http-handler google-auth-library @azure/identity';
    expect(e.problems).toEqual([
      `router target 'haiku' (bedrock) needs the packages @aws-sdk/client-bedrock-runtime and @smithy/node-http-handler, which are not installed; run: ${install}`,
      `router target 'flash' (vertex) needs the package google-auth-library, which is not installed; run: ${install}`,
      `router target 'gpt' (azure-openai) needs the package @azure/identity, which is not installed; run: ${install}`,
    ]);
  });

  test('an Azure target with an API key and an endpoint target need nothing', () => {
    expect(missingAdapterPackages([azureKey, endpoint], () => false)).toEqual([]);
  });

  test('each package is looked up once, however many targets need it', () => {
    const asked: string[] = [];
    missingAdapterPackages([vertex, { ...vertex, id: 'pro' }], (name) => (asked.push(name), true));
    expect(asked).toEqual(['google-auth-library']);
  });

  test('in this repository every adapter package resolves, so the default check passes', () => {
    expect(missingAdapterPackages(all, resolveFromHere)).toEqual([]);
    expect(() => new RouterEngine(cfg, { logger: () => undefined })).not.toThrow();
  });

  test('a custom adapter factory, or resolvePackage: false (the cloud bundles), skips the check', () => {
    expect(() => new RouterEngine(cfg, { adapterFactory: fakeFactory({}).factory, resolvePackage: () => false })).not.toThrow();
    expect(() => new RouterEngine(cfg, { resolvePackage: false, logger: () => undefined })).not.toThrow();
  });
});
