import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertPeers, CLOUD_PEERS, compareVersions, isInstalled, MissingPeerError, missingPeerError, missingPeers, ownManifest } from '../../lib/common/peers';
import { MIN_AWS_CDK_LIB, requireAwsCdkLib } from '../../lib/aws/version';

const PKG = JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')) as { version: string; peerDependencies: Record<string, string> };

describe('missing optional peers', () => {
  test('the error names each missing package and the exact npm i, with the declared ranges', () => {
    const one = missingPeerError('ai-stack-constructs/aws', ['aws-cdk-lib']);
    expect(one.message).toBe(`ai-stack-constructs/aws needs aws-cdk-lib, which is not installed; install with: npm i aws-cdk-lib@${PKG.peerDependencies['aws-cdk-lib']}`);
    const three = missingPeerError('ai-stack synth --cloud gcp', ['cdktf', '@cdktf/provider-google', 'constructs']);
    expect(three.message).toBe(
      `ai-stack synth --cloud gcp needs cdktf, @cdktf/provider-google and constructs, which are not installed; install with: npm i cdktf@${PKG.peerDependencies.cdktf} @cdktf/provider-google@${PKG.peerDependencies['@cdktf/provider-google']} constructs@${PKG.peerDependencies.constructs}`,
    );
    expect(three.install).toEqual([`cdktf@${PKG.peerDependencies.cdktf}`, `@cdktf/provider-google@${PKG.peerDependencies['@cdktf/provider-google']}`, `constructs@${PKG.peerDependencies.constructs}`]);
  });

  test('assertPeers throws only for what is missing, each package once', () => {
    const without = (...absent: string[]) => (name: string) => !absent.includes(name);
    expect(() => assertPeers('x', CLOUD_PEERS.azure, without())).not.toThrow();
    expect(missingPeers([...CLOUD_PEERS.gcp, ...CLOUD_PEERS.azure], without('cdktf', 'constructs'))).toEqual(['cdktf', 'constructs']);
    expect(() => assertPeers('ai-stack-constructs/azure', CLOUD_PEERS.azure, without('@cdktf/provider-azurerm'))).toThrow(
      new MissingPeerError(`ai-stack-constructs/azure needs @cdktf/provider-azurerm, which is not installed; install with: npm i @cdktf/provider-azurerm@${PKG.peerDependencies['@cdktf/provider-azurerm']}`, []),
    );
  });

  test('every package an entry point needs is a declared peer, and only aws-cdk-lib-free entry points skip it', () => {
    for (const names of Object.values(CLOUD_PEERS)) for (const n of names) expect({ n, declared: n in PKG.peerDependencies }).toEqual({ n, declared: true });
    expect(isInstalled('aws-cdk-lib')).toBe(true);
    expect(isInstalled('cdktf')).toBe(true);
    expect(isInstalled('no-such-package-ai-stack')).toBe(false);
    expect(ownManifest().version).toBe(PKG.version);
  });
});

describe('requireAwsCdkLib: a construct that needs a newer L1 refuses an older aws-cdk-lib', () => {
  test('names the version it needs, the one installed and the upgrade', () => {
    expect(() => requireAwsCdkLib('2.270.0', 'aws.RouterFunction', '2.260.0')).toThrow(
      'aws.RouterFunction needs aws-cdk-lib 2.270.0 or newer, but this app has aws-cdk-lib 2.260.0; upgrade with: npm i aws-cdk-lib@^2.270.0',
    );
    expect(() => requireAwsCdkLib('2.270.0', 'aws.RouterFunction', '2.270.0')).not.toThrow();
    expect(() => requireAwsCdkLib('2.270.0', 'aws.RouterFunction', '2.271.1')).not.toThrow();
    expect(() => requireAwsCdkLib('2.270.1', 'x', '2.270.0')).toThrow(MissingPeerError);
  });

  test('reads the installed aws-cdk-lib by default', () => {
    const installed = (require('aws-cdk-lib/package.json') as { version: string }).version;
    expect(() => requireAwsCdkLib(installed, 'x')).not.toThrow();
    expect(() => requireAwsCdkLib('99.0.0', 'aws.Future')).toThrow(`aws.Future needs aws-cdk-lib 99.0.0 or newer, but this app has aws-cdk-lib ${installed}`);
  });

  test('the declared minimum is the one MIN_AWS_CDK_LIB names', () => {
    expect(PKG.peerDependencies['aws-cdk-lib']).toBe(`^${MIN_AWS_CDK_LIB}`);
  });

  test('versions compare numerically', () => {
    expect(compareVersions('2.100.0', '2.99.9')).toBeGreaterThan(0);
    expect(compareVersions('10.5.0', '10.5.0')).toBe(0);
    expect(compareVersions('2.260.0', '2.262.1')).toBeLessThan(0);
  });
});
