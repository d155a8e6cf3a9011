export * from './ai-stack';
export * from './cost-tags';
