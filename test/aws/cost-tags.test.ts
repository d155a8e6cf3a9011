import { App, Tags, TagManager, CfnResource } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AiStack } from '../../lib/aws';
import { bareDesign, oneEndpointDesign } from '../fixtures/designs';
import { withoutBuiltInTemplateValidation } from '../support/cdk-validation';

withoutBuiltInTemplateValidation();

const EXPECTED = { team: 'ml-platform', 'cost-center': 'cc-1', environment: 'test', application: 'demo', owner: 'oncall' };

function stackWithResources(): AiStack {
  const design = oneEndpointDesign();
  design.tags.extra = { owner: 'oncall' };
  const stack = new AiStack(new App(), 'Tagged', { design });
  new ec2.Vpc(stack, 'ExtraVpc', { maxAzs: 2, natGateways: 1 });
  new s3.Bucket(stack, 'Bucket', { enforceSSL: true });
  return stack;
}

describe('aws cost tags', () => {
  test('every taggable resource carries every cost tag', () => {
    const stack = stackWithResources();
    const template = Template.fromStack(stack).toJSON() as { Resources: Record<string, { Type: string; Properties?: { Tags?: { Key: string; Value: string }[] } }> };
    const taggable = stack.node.findAll().filter((c): c is CfnResource => c instanceof CfnResource && TagManager.isTaggable(c));
    expect(taggable.length).toBeGreaterThan(5);
    for (const resource of taggable) {
      const logicalId = stack.getLogicalId(resource);
      const tags = Object.fromEntries((template.Resources[logicalId].Properties?.Tags ?? []).map((t) => [t.Key, t.Value]));
      expect({ id: logicalId, tags: Object.fromEntries(Object.keys(EXPECTED).map((k) => [k, tags[k]])) }).toEqual({ id: logicalId, tags: EXPECTED });
    }
  });

  test('a resource stripped of a cost tag fails synth, naming the resource path', () => {
    const stack = stackWithResources();
    const bucket = stack.node.findChild('Bucket');
    Tags.of(bucket).remove('cost-center');
    expect(() => Template.fromStack(stack)).toThrow(/Tagged\/Bucket\/Resource \(AWS::S3::Bucket\) is missing cost tag cost-center/);
  });

  test('the stack takes its region and account from the design', () => {
    const design = oneEndpointDesign();
    design.accounts = { aws: '123456789012' };
    const stack = new AiStack(new App(), 'Env', { design });
    expect(stack.region).toBe('us-east-1');
    expect(stack.account).toBe('123456789012');
  });

  test('an invalid design throws before anything is created', () => {
    const design = bareDesign();
    delete design.region.aws;
    const app = new App();
    expect(() => new AiStack(app, 'Bad', { design })).toThrow(/region\.aws: is required to synthesize for aws/);
    expect(app.node.children).toHaveLength(0);
  });
});
