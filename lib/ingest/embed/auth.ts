// The embedding clients' keyless tokens are the router's own (the same libraries, scopes and
// identities, each loaded on first use): one credential per process, shared.
export { azureOpenAiAccessToken } from '../../router/providers/azure-openai';
export { vertexAccessToken as googleAccessToken } from '../../router/providers/vertex';
