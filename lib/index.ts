// The cloud-neutral design API. Loading this entry point loads no cloud library: the constructs
// live in 'ai-stack-constructs/aws', '/gcp' and '/azure'.
export * from './design';
