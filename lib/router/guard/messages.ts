import type { ChatMessage, ContentPart } from '../providers/types';

/** Roles whose text the input check reads: what the client wrote, and the instructions it sent. */
export const CHECKED_ROLES: ReadonlySet<ChatMessage['role']> = new Set(['system', 'developer', 'user']);

/** Where a checked text came from: a message's string content, or one text part of it. */
interface Slot {
  readonly message: number;
  readonly part?: number;
}

export interface MessageTexts {
  /** The non-blank texts, in message order. */
  readonly texts: readonly string[];
  readonly slots: readonly Slot[];
}

/** The texts of the checked roles' messages: string contents and `text` content parts. */
export function messageTexts(messages: readonly ChatMessage[]): MessageTexts {
  const texts: string[] = [];
  const slots: Slot[] = [];
  messages.forEach((m, i) => {
    if (!CHECKED_ROLES.has(m.role)) return;
    if (typeof m.content === 'string') {
      if (m.content.trim() !== '') {
        texts.push(m.content);
        slots.push({ message: i });
      }
      return;
    }
    (m.content ?? []).forEach((p, j) => {
      if (p.type === 'text' && typeof p.text === 'string' && p.text.trim() !== '') {
        texts.push(p.text);
        slots.push({ message: i, part: j });
      }
    });
  });
  return { texts, slots };
}

/** `messages` with each slot's text replaced by `texts` (same order); untouched messages are the same objects. */
export function withTexts(messages: readonly ChatMessage[], where: MessageTexts, texts: readonly string[]): ChatMessage[] {
  const out = [...messages];
  where.slots.forEach((slot, k) => {
    if (texts[k] === where.texts[k]) return;
    const m = out[slot.message];
    if (slot.part === undefined) out[slot.message] = { ...m, content: texts[k] };
    else {
      const parts = [...(m.content as readonly ContentPart[])];
      parts[slot.part] = { ...parts[slot.part], text: texts[k] };
      out[slot.message] = { ...m, content: parts };
    }
  });
  return out;
}
