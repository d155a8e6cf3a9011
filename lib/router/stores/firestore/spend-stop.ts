import { decodeSpendStop, encodeSpendStop, SPEND_STOP_KEY, type SpendStopState, type SpendStopStore, type VersionedSpendStop } from '../spend-stop';
import { FirestoreRest, isCommitConflict, type FirestoreConnectionOptions } from './rest';
import { FIRESTORE_LEDGER_COLLECTION } from './schema';
import { str } from './values';

/**
 * The spend-stop record as the document `<ledger collection>/$stop` (field `record`: the JSON),
 * committed with an `updateTime` precondition (or `exists: false`), so a write is compare-and-set.
 */
export class FirestoreSpendStop implements SpendStopStore {
  private readonly rest: FirestoreRest;
  private readonly name: string;

  constructor(o: FirestoreConnectionOptions) {
    this.rest = new FirestoreRest(o);
    this.name = this.rest.documentName(o.collection ?? FIRESTORE_LEDGER_COLLECTION, SPEND_STOP_KEY);
  }

  async read(): Promise<VersionedSpendStop | undefined> {
    const doc = await this.rest.read(this.name);
    if (!doc) return undefined;
    return { state: decodeSpendStop(doc.fields.record?.stringValue, this.name), version: doc.updateTime };
  }

  async write(state: SpendStopState, expected: string | undefined): Promise<boolean> {
    try {
      await this.rest.write(this.name, { record: str(encodeSpendStop(state)) }, expected === undefined ? { exists: false } : { updateTime: expected });
      return true;
    } catch (err) {
      if (isCommitConflict(err)) return false;
      throw err;
    }
  }
}
