import '../common/peers-gcp';
export * from './ai-stack';
export * from './cost-tags';
export * from './gpu-endpoint';
export * from './guardrail';
export * from './model-router';
export * from './network';
export * from './budget';
export * from './vector-store';
