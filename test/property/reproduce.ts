// Prints one design of the property test (test/property/check-equals-synth.test.ts), by index, and
// optionally checks it the way the test does.
//
//   npx tsx test/property/reproduce.ts <index> [--cloud aws|gcp|azure] [--synth] [--json]
//   PROPERTY_SEED=0x5eed2026 npx tsx test/property/reproduce.ts 1234 --cloud gcp --synth
//
// Without --json the design is printed as YAML (so NaN, Infinity and `__proto__` keys survive) and can
// be saved as a file for `ai-stack check` / `ai-stack synth`.
import { stringify } from 'yaml';
import { CLOUDS, type Cloud } from '../../lib/design';
import { mutatedDesign, SEED } from './generator';
import { cleanupSynth, refusalViolations, synthesize, verdict } from './harness';

function main(argv: string[]): number {
  const cloudAt = argv.indexOf('--cloud');
  const args = argv.filter((a, i) => !a.startsWith('--') && !(cloudAt >= 0 && i === cloudAt + 1));
  const flag = (name: string) => argv.includes(`--${name}`);
  const index = Number(args[0]);
  if (!Number.isInteger(index) || index < 0) {
    process.stderr.write('usage: npx tsx test/property/reproduce.ts <index> [--cloud aws|gcp|azure] [--synth] [--json]\n');
    return 2;
  }
  const clouds: Cloud[] = cloudAt >= 0 ? [argv[cloudAt + 1] as Cloud] : [...CLOUDS];
  if (!clouds.every((c) => CLOUDS.includes(c))) {
    process.stderr.write(`--cloud must be one of ${CLOUDS.join(', ')}\n`);
    return 2;
  }
  const seed = process.env.PROPERTY_SEED ? Number(process.env.PROPERTY_SEED) : SEED;
  const m = mutatedDesign(seed, index);
  const out: string[] = [`# seed 0x${(seed >>> 0).toString(16)} index ${index}, base '${m.base}'`, ...m.mutations.map((x) => `#   mutation: ${x}`)];
  if (flag('json')) {
    out.push(JSON.stringify(m.design, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? `<${v}>` : v), 2));
  } else {
    out.push(stringify(m.design, { lineWidth: 0 }).trimEnd());
  }
  let failed = false;
  for (const cloud of clouds) {
    const v = verdict(m.design, cloud);
    if (v.accepted === 'threw') {
      out.push(`# ${cloud}: collectProblems threw ${v.error}`);
      failed = true;
    } else if (v.accepted === false) {
      out.push(`# ${cloud}: refused with ${v.problems.length} problem(s):`, ...v.problems.map((p) => `#   ${p.path}: ${p.message}`));
      const violations = refusalViolations(m.design, cloud, v.problems);
      for (const x of violations) out.push(`#   VIOLATION ${x.rule}: ${x.detail}`);
      failed ||= violations.length > 0;
    } else if (flag('synth')) {
      const s = synthesize(mutatedDesign(seed, index).design, cloud);
      out.push(s.ok ? `# ${cloud}: accepted; synthesized ${s.resources} resources in ${s.ms} ms` : `# ${cloud}: accepted, but SYNTH FAILED: ${s.error}`);
      failed ||= !s.ok;
    } else {
      out.push(`# ${cloud}: accepted (add --synth to synthesize)`);
    }
  }
  cleanupSynth();
  process.stdout.write(`${out.join('\n')}\n`);
  return failed ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
