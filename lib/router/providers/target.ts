import type { ModelProvider } from '../../design/catalog/models';
import type { TargetConfig } from './types';

/**
 * Configuration errors of a target, thrown when an adapter is built (at router start), never per
 * request: they name the target, the field, the value received and what is allowed.
 */
export function targetError(target: TargetConfig, field: string, problem: string): Error {
  return new Error(`router target '${target.id}' (${target.provider}): ${field} ${problem}`);
}

export function requireProvider(target: TargetConfig, provider: ModelProvider): void {
  if (target.provider !== provider) throw targetError(target, 'provider', `must be '${provider}' for this adapter (got '${target.provider}')`);
}

/** `target[field]` as a non-empty string, or a target error saying what to set. */
export function requireField(target: TargetConfig, field: 'region' | 'baseUrl' | 'project', hint: string): string {
  const value = target[field];
  if (typeof value !== 'string' || value.trim() === '') throw targetError(target, field, `is required (got ${JSON.stringify(value)}); ${hint}`);
  return value;
}

/** A base URL without its trailing slashes, checked to be absolute http(s). */
export function baseUrlOf(target: TargetConfig, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw targetError(target, 'baseUrl', `must be an absolute http(s) URL (got '${value}')`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw targetError(target, 'baseUrl', `must use http or https (got '${value}')`);
  return value.replace(/\/+$/, '');
}

/** The prefix of every error an adapter reports, so logs say which target failed. */
export function whereOf(target: TargetConfig): string {
  return `${target.provider} target '${target.id}'`;
}
