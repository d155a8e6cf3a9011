import type { DeniedTopicDesign } from '../../design/guardrails';

/** The answer of a classifier that found no denied topic. */
export const NO_TOPIC = 'NONE';

/** Output tokens the classifier may use: a topic name (at most 100 characters) or NONE. */
export const TOPIC_CLASSIFIER_MAX_TOKENS = 16;

/**
 * The system prompt of the topic classifier: the topics with their definitions and examples, and
 * the one answer allowed. The user's text goes in its own message, so it cannot rewrite these rules
 * (and anything but a topic name counts as no topic, so a prompt that talks the classifier into
 * another answer gains nothing beyond the cloud guard's prompt-attack filter).
 */
export function topicPrompt(topics: readonly DeniedTopicDesign[]): string {
  const lines = topics.map((t) => `- ${t.name}: ${t.definition}${t.examples?.length ? ` Examples: ${t.examples.map((e) => JSON.stringify(e)).join('; ')}.` : ''}`);
  return [
    'You are a content classifier. Decide whether the user message asks about one of these denied topics:',
    ...lines,
    `Answer with exactly the name of the denied topic it asks about, or ${NO_TOPIC} if it asks about none. Answer with nothing else.`,
  ].join('\n');
}

/** The topic the classifier named, or undefined: an answer that is no topic's name is no topic. */
export function parseTopicAnswer(answer: string, topics: readonly DeniedTopicDesign[]): string | undefined {
  const said = answer.trim().replace(/^["'`*]+|["'`*.]+$/g, '').trim().toLowerCase();
  return topics.find((t) => t.name.toLowerCase() === said)?.name;
}
