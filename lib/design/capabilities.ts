import type { Cloud } from './cloud';
import type { AiStackDesign } from './design';

/** The design sections that each build one capability. Cost tags are not a section: every stack applies them. */
export type Section = 'endpoints' | 'router' | 'vectorStore' | 'guardrails' | 'budget';

/** Every section, in the order a report lists them. */
export const SECTIONS: readonly Section[] = ['endpoints', 'router', 'vectorStore', 'guardrails', 'budget'];

/**
 * Which sections each cloud's `AiStack` builds today. The one place that says it: the estimate marks
 * the lines of the other sections "not deployed", synth lists them, and validation refuses a design
 * that would build nothing on a cloud. A capability that lands adds itself here.
 */
const DEPLOYED: Readonly<Record<Cloud, readonly Section[]>> = {
  aws: ['endpoints', 'router', 'vectorStore', 'guardrails', 'budget'],
  gcp: ['endpoints', 'router', 'vectorStore', 'guardrails', 'budget'],
  azure: ['endpoints', 'router', 'vectorStore', 'guardrails', 'budget'],
};

/** True when `cloud`'s AiStack builds `section`. */
export function isDeployed(section: Section, cloud: Cloud): boolean {
  return DEPLOYED[cloud].includes(section);
}

/** Sections that `design` has (non-empty) and `cloud` does not build yet. */
export function notDeployedSections(design: AiStackDesign, cloud: Cloud): Section[] {
  return SECTIONS.filter((s) => hasSection(design, s) && !isDeployed(s, cloud));
}

/** Sections that `design` has and `cloud` builds. */
export function deployedSections(design: AiStackDesign, cloud: Cloud): Section[] {
  return SECTIONS.filter((s) => hasSection(design, s) && isDeployed(s, cloud));
}

/** A section is present when it is set and, for a list, not empty. */
export function hasSection(design: AiStackDesign, section: Section): boolean {
  const value = (design as unknown as Record<string, unknown>)[section];
  if (value === undefined || value === null) return false;
  return !Array.isArray(value) || value.length > 0;
}
