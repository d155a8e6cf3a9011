/**
 * Turns off aws-cdk-lib's built-in CloudFormation template validation (a WebAssembly engine that
 * costs about 4 s per synth of the example stack) for the test file that calls it, and restores it
 * afterwards, so the other files of the same Jest worker are unaffected.
 *
 * For construct tests that assert on the template's structure. Template validation itself stays
 * covered where it matters: the real CDK CLI synth of the example in strict mode
 * (test/examples/cdk-cli.test.ts), `ai-stack synth` (test/cli), and the property test's sampled
 * synths of mutated designs (test/property).
 */
export function withoutBuiltInTemplateValidation(): void {
  let before: string | undefined;
  beforeAll(() => {
    before = process.env.CDK_VALIDATION;
    process.env.CDK_VALIDATION = 'false';
  });
  afterAll(() => {
    if (before === undefined) delete process.env.CDK_VALIDATION;
    else process.env.CDK_VALIDATION = before;
  });
}
