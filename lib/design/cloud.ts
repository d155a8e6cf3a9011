/** The clouds a design can be synthesized for. */
export type Cloud = 'aws' | 'gcp' | 'azure';

/** Every supported cloud, in the order outputs are printed. */
export const CLOUDS: readonly Cloud[] = ['aws', 'gcp', 'azure'];

export function isCloud(value: string): value is Cloud {
  return (CLOUDS as readonly string[]).includes(value);
}
