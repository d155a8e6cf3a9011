import { countTokens, sliceTokens, tokenPrefix } from '../../lib/ingest/tokens';
import { utf8Bytes } from './chunk-support';

describe('countTokens: an estimate that errs high', () => {
  it('charges every non-ASCII byte a token (the byte-fallback worst case) on CJK and emoji', () => {
    const cjk = '向量数据库的检索增强生成需要新鲜的嵌入。';
    expect(countTokens(cjk)).toBeGreaterThanOrEqual(utf8Bytes(cjk));
    expect(countTokens('😀')).toBe(4);
    const family = '👨‍👩‍👧‍👦';
    expect(countTokens(family)).toBeGreaterThanOrEqual(utf8Bytes(family));
  });

  it('charges code at least one token per symbol and digit, and at least UTF-8 bytes / 3', () => {
    const code = 'for (let i = 0; i < xs.length; i++) { total += xs[i] * 2; }\nconst sha = "3f9a2b7c1d0e";\n';
    const symbolsAndDigits = code.replace(/[A-Za-z\s]/g, '').length;
    expect(countTokens(code)).toBeGreaterThanOrEqual(symbolsAndDigits);
    expect(countTokens(code)).toBeGreaterThanOrEqual(Math.ceil(utf8Bytes(code) / 3));
  });

  it('charges hex digests and camelCase near one token per piece, not per three characters', () => {
    const hex = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
    expect(countTokens(hex)).toBeGreaterThanOrEqual(Math.ceil(hex.length * 0.75));
    expect(countTokens('aZbQxYwK')).toBeGreaterThanOrEqual(5);
  });

  it('overcounts English prose by a bounded factor (about 1.5x of ~4 letters per token)', () => {
    const prose = 'The ingestion runtime reads the source bucket on a schedule and skips unchanged objects.';
    const words = prose.split(/\s+/).length;
    expect(countTokens(prose)).toBeGreaterThanOrEqual(words);
    expect(countTokens(prose)).toBeLessThanOrEqual(Math.ceil(prose.length / 2.5));
  });

  it('prices every slice from prefix sums exactly as a fresh count', () => {
    const text = 'Mixed 文本 with 😀 emoji,\n  indented code();\tand camelCaseWords 12345.';
    const prefix = tokenPrefix(text);
    for (let a = 0; a < text.length; a++) {
      for (let b = a; b <= text.length; b++) expect(sliceTokens(text, prefix, a, b)).toBe(countTokens(text.slice(a, b)));
    }
  });
});
