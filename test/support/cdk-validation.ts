/**
 * Turns off aws-cdk-lib's built-in CloudFormation template validation (a WebAssembly engine whose
 * start costs about 4.5 s of CPU in each test file that validates) for the test file that calls it,
 * and restores it after the file's tests, so the other files of the same Jest worker are unaffected.
 *
 * Call it at the top of the file. It takes effect at once, not in a `beforeAll`: stacks built in a
 * `describe` body are synthesized while Jest collects the tests, before any hook runs (three files
 * did that and started the engine anyway).
 *
 * For construct tests that assert on the template's structure. Template validation itself stays
 * covered where it matters: the real CDK CLI synth of the example in strict mode
 * (test/examples/cdk-cli.test.ts), `ai-stack synth` (test/cli), and the property test's sampled
 * synths of mutated designs (test/property).
 */
export function withoutBuiltInTemplateValidation(): void {
  const before = process.env.CDK_VALIDATION;
  process.env.CDK_VALIDATION = 'false';
  afterAll(() => {
    if (before === undefined) delete process.env.CDK_VALIDATION;
    else process.env.CDK_VALIDATION = before;
  });
}
