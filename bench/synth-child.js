// Runs one `ai-stack synth` in this process and reports its peak memory, so the parent can measure
// wall time and maximum resident set size of exactly one synth.
const { main } = require('../dist/lib/cli/main');

const silent = () => {};
main(process.argv.slice(2), silent, (s) => process.stderr.write(s + '\n')).then((code) => {
  process.stdout.write(JSON.stringify({ code, maxRssKiB: process.resourceUsage().maxRSS }) + '\n');
  process.exitCode = code;
});
