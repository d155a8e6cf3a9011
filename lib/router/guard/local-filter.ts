import type { PiiEntity } from '../../design/guardrails';
import { findPii, LOCAL_PII_ENTITIES, maskSpans } from './local/pii';
import { newWork, type Work } from './local/work';
import { BlockedWords } from './local/words';
import { orderPolicies, type GuardPolicy, type GuardVerdict } from './types';

export interface LocalFilterConfig {
  readonly blockedWords: readonly string[];
  readonly pii: { readonly action: 'mask' | 'block'; readonly entities: readonly PiiEntity[] };
}

export interface LocalVerdict extends GuardVerdict {
  /** Steps the scans took (see `Work`): linear in the texts' length. */
  readonly work: number;
}

/**
 * The zero-cost filter the router runs before any cloud guard and any paid call: the design's
 * blocked words (a block) and the PII entities it can find by itself (masked as `{EMAIL}` and so
 * on, or a block when `pii.action` is `block`). Entities it cannot find (NAME, ADDRESS) are
 * the cloud guard's; a masked text goes to the cloud guard masked, so PII the filter finds never
 * leaves the router.
 */
export class LocalFilter {
  private readonly words: BlockedWords;
  private readonly entities: ReadonlySet<PiiEntity>;
  private readonly piiAction: 'mask' | 'block';

  constructor(config: LocalFilterConfig) {
    this.words = new BlockedWords(config.blockedWords);
    this.entities = new Set(config.pii.entities.filter((e) => LOCAL_PII_ENTITIES.includes(e)));
    this.piiAction = config.pii.action;
  }

  check(texts: readonly string[]): LocalVerdict {
    const work: Work = newWork();
    const policies = new Set<GuardPolicy>();
    const masked: string[] = [];
    let changed = false;
    for (const text of texts) {
      if (this.words.test(text, work)) return { action: 'block', policies: ['blocked_words'], costNanoUsd: 0, work: work.steps };
      const spans = this.entities.size > 0 ? findPii(text, this.entities, work) : [];
      if (spans.length > 0) {
        if (this.piiAction === 'block') return { action: 'block', policies: ['pii'], costNanoUsd: 0, work: work.steps };
        policies.add('pii');
        changed = true;
      }
      masked.push(maskSpans(text, spans));
    }
    if (!changed) return { action: 'allow', policies: [], costNanoUsd: 0, work: work.steps };
    return { action: 'mask', policies: orderPolicies(policies), texts: masked, costNanoUsd: 0, work: work.steps };
  }
}
