// The router's guard stage: local filters and cloud guards on every prompt and answer.
export * from './types';
export * from './config';
export { checkGuardConfig } from './config-check';
export { GuardBlockedError, GuardUnavailableError } from './errors';
export { GuardCancelledError, guardCall } from './timeout';
export { LocalFilter, type LocalFilterConfig, type LocalVerdict } from './local-filter';
export { LOCAL_PII_ENTITIES } from './local/pii';
export { GuardStage, type CheckResult, type GuardContext, type GuardFailure, type GuardStageOptions, type InputCheck, type OutputCheck } from './stage';
export { StreamOutputChecker, type OutputChecker, type OutputStep } from './output-checker';
export { BedrockGuard, type BedrockGuardOptions } from './bedrock';
export { ModelArmorGuard, type ModelArmorGuardOptions } from './model-armor';
export { ContentSafetyGuard, contentSafetyThresholds, splitText, CONTENT_SAFETY_API_VERSION, CONTENT_SAFETY_MAX_CHARS, type ContentSafetyGuardOptions, type ContentSafetyCategory } from './content-safety';
export { cloudGuardFromEnv, type CloudGuardPolicy, type CloudGuardOverrides } from './from-env';
export * from './prices';
