// The CDK app behind cdk.json: `npx cdk synth` builds the example design's AWS stack with the real
// CDK CLI, checked by cdk-nag's AwsSolutions pack, cfn-guard's AWS Control Tower rules and CDK's
// template validation in strict mode. Every finding a construct accepts is acknowledged on the
// resource with its reason.
import * as path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AiStack } from '../lib/aws';
import { loadDesign } from '../lib/design';

const designFile = process.env.AI_STACK_DESIGN ?? path.join(__dirname, 'ai-stack.yaml');
const design = loadDesign(designFile, { clouds: ['aws'] });
const app = new App();
new AiStack(app, design.name, { design });
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }), new CfnGuardValidator({ controlTowerRulesEnabled: true }));
app.synth();
