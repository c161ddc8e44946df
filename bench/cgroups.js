#!/usr/bin/env node
// Cost of the per-instance cgroups: time to start 50 instances with cgroups (required) and without (off),
// alternating, in one run. An instance counts as started once its program runs: the exec shim has joined
// the instance's cgroups and exec'd it. The program is `sleep`, so that no interpreter start-up blurs the
// difference. Target: the cgroup set-up adds under 2 ms per instance.
// Usage: node bench/cgroups.js [--runs N]
'use strict';
const fs = require('fs');
const path = require('path');
const lib = require('./lib');

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1]) || 7;
const instances = 50;

function runningSleeps(daemon) {
  let children = [];
  try {
    for (const task of fs.readdirSync(`/proc/${daemon}/task`)) {
      children.push(...fs.readFileSync(`/proc/${daemon}/task/${task}/children`, 'utf8').split(' ').filter(Boolean));
    }
  } catch {
    return 0;
  }
  let count = 0;
  for (const pid of children) {
    try {
      if (fs.readFileSync(`/proc/${pid}/comm`, 'utf8') === 'sleep\n') count += 1;
    } catch {}
  }
  return count;
}

async function startAll(mode) {
  const dir = lib.tempDir(`cgroups-${mode}`);
  const before = process.hrtime.bigint();
  const corral = lib.startCorral(dir, `
[supervisor]
cgroups = "${mode}"

[services.sleeper]
command = ["sleep", "600"]
instances = ${instances}
memory = { max = "64MiB" }
pids = { max = 16 }
`);
  try {
    await lib.waitFor(() => runningSleeps(corral.pid) === instances, 30_000, `${instances} instances (${mode})`);
    return lib.ms(process.hrtime.bigint() - before);
  } finally {
    const { code } = await lib.stopCorral(corral);
    const stderr = fs.readFileSync(path.join(dir, 'corral.stderr'), 'utf8');
    fs.rmSync(dir, { recursive: true, force: true });
    if (code !== 0) throw new Error(`corral (${mode}) exited with ${code}:\n${stderr}`);
  }
}

async function main() {
  const off = [];
  const on = [];
  for (let i = 0; i < runs; i++) {
    off.push(await startAll('off'));
    on.push(await startAll('required'));
  }
  const f2 = (x) => x.toFixed(2);
  const perInstance = (lib.median(on) - lib.median(off)) / instances;
  const perRun = on.map((ms, i) => (ms - off[i]) / instances);  // each pair of the alternation
  console.log(`time to start ${instances} instances (daemon start to every program running), median (min-max) of ${runs}`);
  console.log(`  without cgroups          ${lib.withSpread(off, 2).padStart(24)} ms   ${f2(lib.median(off) / instances)} ms per instance`);
  console.log(`  with cgroups + limits    ${lib.withSpread(on, 2).padStart(24)} ms   ${f2(lib.median(on) / instances)} ms per instance`);
  console.log(`  cgroup set-up adds       ${f2(perInstance).padStart(8)} ms per instance (difference of the medians; ` +
              `pairs ${f2(Math.min(...perRun))} to ${f2(Math.max(...perRun))}) (target under 2 ms: ${perInstance < 2 ? 'met' : 'MISSED'})`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
