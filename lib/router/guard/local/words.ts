import type { Work } from './work';

/**
 * The design's blocked words and phrases, matched as whole words: case-insensitively (Unicode
 * case folding of NFKC text, so full-width and ligature forms match too), whatever the whitespace
 * or punctuation between the words of a phrase, and through invisible format characters (zero-width
 * spaces and joiners, soft hyphens) inserted to split a word. Letters and digits make the words:
 * `bad-word`, `bad word` and `BAD\u200B  WORD` are the same phrase. In scripts written without
 * spaces (Han, kana, Thai, Lao, Khmer, Myanmar) each character is a word of its own, so a phrase
 * of them matches wherever its characters stand in a row.
 *
 * Matching walks a trie of phrases token by token from each token of the text: at most
 * `maxTokens` steps per token (a phrase of 100 characters has at most 50 words), so time is
 * linear in the text.
 */
export class BlockedWords {
  private readonly root: TrieNode = { next: new Map(), end: false };
  readonly maxTokens: number;
  readonly size: number;

  constructor(words: readonly string[]) {
    let maxTokens = 0;
    let size = 0;
    const scratch = { steps: 0 };
    for (const w of words) {
      const tokens = tokenize(normalize(w), scratch);
      if (tokens.length === 0) continue; // no letter or digit: the design refuses such words
      let node = this.root;
      for (const t of tokens) {
        let child = node.next.get(t);
        if (!child) node.next.set(t, (child = { next: new Map(), end: false }));
        node = child;
      }
      node.end = true;
      size++;
      maxTokens = Math.max(maxTokens, tokens.length);
    }
    this.maxTokens = maxTokens;
    this.size = size;
  }

  /** True when `text` holds one of the phrases as whole words. */
  test(text: string, work: Work): boolean {
    if (this.size === 0) return false;
    const tokens = tokenize(normalize(text), work);
    for (let i = 0; i < tokens.length; i++) {
      let node: TrieNode | undefined = this.root;
      for (let j = i; j < tokens.length && j - i < this.maxTokens; j++) {
        work.steps++;
        node = node.next.get(tokens[j]);
        if (!node) break;
        if (node.end) return true;
      }
    }
    return false;
  }
}

interface TrieNode {
  readonly next: Map<string, TrieNode>;
  end: boolean;
}

const FORMAT = /\p{Cf}/gu;

/** NFKC, format characters removed, lower-cased: the form both phrases and texts are compared in. */
function normalize(text: string): string {
  return text.normalize('NFKC').replace(FORMAT, '').toLowerCase();
}

const WORD_CHAR = /[\p{L}\p{N}\p{M}]/u;
const UNSPACED = /[\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}\p{sc=Thai}\p{sc=Lao}\p{sc=Khmer}\p{sc=Myanmar}]/u;

/** The words of normalized text, one pass over its code points. */
function tokenize(text: string, work: Work): string[] {
  const tokens: string[] = [];
  let start = -1;
  for (let i = 0; i < text.length; ) {
    work.steps++;
    const cp = text.codePointAt(i)!;
    const width = cp > 0xffff ? 2 : 1;
    let kind: 0 | 1 | 2; // 0 separator, 1 word character, 2 a word of its own
    if (cp < 0x80) kind = (cp >= 0x61 && cp <= 0x7a) || (cp >= 0x30 && cp <= 0x39) ? 1 : 0;
    else {
      const ch = text.slice(i, i + width);
      kind = UNSPACED.test(ch) ? 2 : WORD_CHAR.test(ch) ? 1 : 0;
    }
    if (kind !== 1 && start >= 0) {
      tokens.push(text.slice(start, i));
      start = -1;
    }
    if (kind === 1 && start < 0) start = i;
    else if (kind === 2) tokens.push(text.slice(i, i + width));
    i += width;
  }
  if (start >= 0) tokens.push(text.slice(start));
  return tokens;
}
