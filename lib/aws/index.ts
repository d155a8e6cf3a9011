import '../common/peers-aws';
export * from './ai-stack';
export * from './cost-tags';
export * from './gpu-endpoint';
export * from './guardrail';
export * from './model-router';
export * from './vector-store';
export * from './version';
export * from './budget';
