// Azure's construct props are one shape, like the design's: a misspelled prop is an error.
import { GpuEndpoint, type GpuEndpointProps } from '../../lib/azure/gpu-endpoint';
import { makeStack } from './helpers';
import { designErrorOf } from '../support/design-error';

const props: GpuEndpointProps = {
  resourceGroupName: 'rg-test',
  location: 'eastus2',
  name: 'llm',
  accelerator: 'nvidia-a100-80gb',
  server: { image: 'vllm/vllm-openai:v0.6.3', model: 'm' },
  capacity: { min: 1, max: 4 },
};

test('a misspelled prop is refused with a "did you mean", not ignored', () => {
  const { stack } = makeStack();
  const error = designErrorOf(() => new GpuEndpoint(stack, 'llm', { ...props, purchse: { reserved: 1 } } as unknown as GpuEndpointProps));
  expect(error.problems).toEqual([{ path: 'props.purchse', message: expect.stringMatching(/^unknown key \(did you mean 'purchase'\?\)/) }]);
  expect(error.message).toContain('the props of test/llm');
});

test('an Azure-only prop misspelled too', () => {
  const { stack } = makeStack();
  const error = designErrorOf(() => new GpuEndpoint(stack, 'llm', { ...props, subnetID: '/x' } as unknown as GpuEndpointProps));
  expect(error.problems[0]).toEqual({ path: 'props.subnetID', message: expect.stringMatching(/^unknown key \(did you mean 'subnetId'\?\)/) });
});

test('drainSeconds set on Azure says it is not used', () => {
  const { stack } = makeStack();
  const endpoint = new GpuEndpoint(stack, 'llm', { ...props, drainSeconds: 300 });
  const warnings = endpoint.node.metadata.filter((m) => m.type === '@cdktf/warn').map((m) => String(m.data));
  expect(warnings).toContainEqual(expect.stringMatching(/^\[ai-stack:azure-no-drain\] drainSeconds \(300\) is not used on Azure/));
});
