// Validation of VectorStore props: one shape (the design's fields plus the AWS props), the neutral
// rules, AWS's rules (the same `ai-stack check` runs), then the props only the construct has.
import { validateNamePrefix, validateVectorStore, vectorStoreShape, type NamePrefixProps, type Problems, type VectorStoreDesign } from '../../design';
import { checkShape, extendShape, num, ref, str } from '../../design/shape';
import { awsRules } from '../rules';

export const awsVectorStorePropsShape = extendShape(vectorStoreShape, {
  namePrefix: str,
  sourceBucket: ref('an s3.IBucket'),
  encryptionKey: ref('a kms.IKey'),
  serverAccessLogsBucket: ref('an s3.IBucket'),
  alarmTopic: ref('an sns.ITopic'),
  logRetention: num,
  logEncryptionKey: ref('a kms.IKey'),
});

/** Adds every problem of `props` to `problems`, each under `path`. */
export function validateAwsVectorStoreProps(props: VectorStoreDesign & NamePrefixProps & { readonly sourceBucket?: unknown; readonly serverAccessLogsBucket?: unknown }, path: string, problems: Problems): void {
  const before = problems.count;
  checkShape(props, awsVectorStorePropsShape, path, problems);
  if (problems.count > before) return;
  validateVectorStore(props, ['aws'], problems, path);
  awsRules.vectorStore?.(props, path, problems);
  validateNamePrefix(props.namePrefix, path, problems);
  if (props.sourceBucket !== undefined && props.serverAccessLogsBucket !== undefined) {
    problems.add(`${path}.serverAccessLogsBucket`, 'applies only to the source bucket the construct creates; configure logging on the sourceBucket you pass');
  }
}
