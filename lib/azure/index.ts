import '../common/peers-azure';
export * from './ai-stack';
export * from './cost-tags';
export * from './gpu-endpoint';
export * from './guardrail';
export * from './network';
export * from './model-router';
export * from './budget';
export * from './vector-store';
