/** A cdktf string token (`${TfToken[TOKEN.12]}`): resolved by cdktf at synth, so never escaped. */
const CDKTF_STRING_TOKEN = /\$\{TfToken\[[a-zA-Z0-9:._-]+\]\}/g;

/**
 * Escapes Terraform template sequences so a literal string reaches the configuration unchanged: `${`
 * and `%{` in a Terraform string are interpolation and directives; `$${` and `%%{` are their literal
 * forms. cdktf tokens inside the value are left intact, so cdktf turns them into Terraform references.
 */
export function escapeTerraformTemplate(value: string): string {
  // A function replacement: in a replacement string `$$` would collapse to `$`.
  const escape = (s: string) => s.replace(/\$\{/g, () => '$${').replace(/%\{/g, () => '%%{');
  const tokens = value.match(CDKTF_STRING_TOKEN) ?? [];
  return value
    .split(CDKTF_STRING_TOKEN)
    .map((part, i) => escape(part) + (tokens[i] ?? ''))
    .join('');
}

/** Every key and value of a string map escaped (tags, labels, outputs a design's values reach). */
export function escapeTerraformMap(map: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(map).map(([k, v]) => [escapeTerraformTemplate(k), escapeTerraformTemplate(v)]));
}
