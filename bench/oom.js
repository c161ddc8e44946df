#!/usr/bin/env node
// OOM kills under corral, in one run: a worker with memory.max = 256MiB allocating fast is OOM-killed
// KILLS times (backoff 0). For each kill, from the kernel's kill (its "Killed process" record in
// /dev/kmsg, timestamps put on CLOCK_MONOTONIC by a probe record) to:
//   - the post-mortem bundle being complete (the bundle directory's rename), and
//   - the next incarnation's first line of JavaScript (beside build/bare_launcher relaunching `node` that
//     exits with code 1, from the exit to the first line, measured in the same run);
// and how many kills were classified oom-kill. Then the same worker under pm2 (installed from the npm
// registry into bench/.cache), in a cgroup with the same limit: what pm2 says about the same deaths.
// Usage (root): node bench/oom.js [--kills N] [--no-pm2]
'use strict';
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');
const lib = require('./lib');

const args = process.argv.slice(2);
const kills = Number(args[args.indexOf('--kills') + 1]) || 20;
const withPm2 = !args.includes('--no-pm2');
const worker = path.join(__dirname, 'fixtures', 'oom-worker.js');

// CLOCK_REALTIME ns -> CLOCK_MONOTONIC ns, for file timestamps.
const realtimeOffset = (() => {
  const mono = process.hrtime.bigint();
  const real = BigInt(Date.now()) * 1000000n;
  return real - mono;
})();

const starts = (record) => lib.lineRecords(record).filter((r) => r.what === 'start');

async function underCorral(kmsg) {
  const dir = lib.tempDir('oom-corral');
  const record = path.join(dir, 'record');
  // window = "0s": a bundle for every death, so that each kill's bundle can be timed and its reason checked.
  const corral = lib.startCorral(dir, `
[supervisor]
postmortem = { window = "0s" }

[services.worker]
command = ["${process.execPath}", "${worker}"]
env = { RECORD_FILE = "${record}" }
memory = { max = "256MiB" }
backoff = { initial = "0ms" }
start_limit = { interval = "0s" }
`);
  const killedAt = new Map();  // pid -> kernel time of the kill
  try {
    await lib.waitFor(() => kmsg.kills(killedAt) && starts(record).length > kills, 180_000, `${kills} OOM kills under corral`);
  } finally {
    await lib.stopCorral(corral);
  }
  const bundleRoot = path.join(dir, '.corral', 'postmortem', 'worker-0');
  const bundles = fs.readdirSync(bundleRoot).filter((name) => !name.endsWith('.tmp')).sort();
  const summaries = bundles.map((name) => ({ name, summary: JSON.parse(fs.readFileSync(path.join(bundleRoot, name, 'summary.json'), 'utf8')) }));
  const all = starts(record);
  const toBundle = [];
  const toRestart = [];
  let classified = 0;
  for (let i = 0; i < kills; i++) {
    const victim = all[i];
    const next = all[i + 1];
    const kill = killedAt.get(victim.pid);
    const bundle = summaries.find((b) => b.summary.pid === victim.pid);
    if (!kill) continue;
    toRestart.push(lib.ms(next.ns - kill));
    if (!bundle) continue;
    if (bundle.summary.reason === 'oom-kill') classified += 1;
    const done = fs.statSync(path.join(bundleRoot, bundle.name), { bigint: true }).ctimeNs - realtimeOffset;
    toBundle.push(lib.ms(done - kill));
  }
  const example = summaries.length ? summaries[0].summary : null;
  fs.rmSync(dir, { recursive: true, force: true });
  return { toBundle, toRestart, classified, example };
}

// pm2 and its worker in a cgroup below ours: the same 256 MiB for the worker, and room for pm2's daemon.
async function underPm2(cli, kmsg) {
  let group;
  try {
    group = new lib.BenchGroup('pm2-oom', 320 * 1024 * 1024);
  } catch (error) {
    console.error(`pm2 left out: ${error.message}`);
    return null;
  }
  const home = lib.tempDir('pm2-memory');
  const record = path.join(home, 'record');
  const env = { ...process.env, PM2_HOME: home };
  const ecosystem = path.join(home, 'ecosystem.config.js');
  fs.writeFileSync(ecosystem, `module.exports = { apps: [{ name: 'worker', script: ${JSON.stringify(worker)},
    autorestart: true, restart_delay: 0, max_restarts: 100000, min_uptime: 100, env: { RECORD_FILE: ${JSON.stringify(record)} } }] };`);
  const pm2Kills = 5;
  const killed = new Map();
  try {
    // The pm2 CLI joins the cgroup first; the daemon it starts, and the worker, are born inside.
    const argv = group.enter([process.execPath, cli, 'start', ecosystem]);
    execFileSync(argv[0], argv.slice(1), { env, stdio: 'ignore', timeout: 60_000 });
    await lib.waitFor(() => kmsg.kills(killed) && starts(record).length > pm2Kills, 120_000, 'OOM kills under pm2');
    const list = JSON.parse(execFileSync(process.execPath, [cli, 'jlist'], { env, timeout: 30_000 }).toString());
    const log = fs.readFileSync(path.join(home, 'pm2.log'), 'utf8').split('\n');
    const said = log.filter((l) => l.includes('exited with code')).slice(-1)[0] || '(nothing)';
    const mentionsOom = log.some((l) => /\boom\b|oom-kill|out of memory/i.test(l));
    return { restarts: list[0] ? list[0].pm2_env.restart_time : 0, said: said.replace(/^.*?PM2\s+\|\s*/, ''), mentionsOom, kills: killed.size };
  } finally {
    try {
      execFileSync(process.execPath, [cli, 'kill'], { env, stdio: 'ignore', timeout: 30_000 });
    } catch {}
    group.killSync();
    fs.rmSync(home, { recursive: true, force: true });
  }
}

const f1 = (x) => x.toFixed(1);

async function main() {
  if (!fs.existsSync(lib.corralBinary)) throw new Error(`${lib.corralBinary} is missing: run scripts/build.sh first`);
  const kmsg = new lib.KernelLog();
  console.log(`OOM kills under corral: ${kills} kills of a worker with memory.max = 256MiB, backoff 0; node ${process.version}`);
  const bare = await lib.bareRelaunches(10);
  const corral = await underCorral(kmsg);
  bare.push(...(await lib.bareRelaunches(10)));
  const cli = withPm2 ? lib.installPm2() : null;
  const pm2 = cli ? await underPm2(cli, kmsg) : null;
  kmsg.close();

  const row = (name, values) =>
    console.log(`  ${name.padEnd(48)} ${f1(lib.median(values)).padStart(7)} ${f1(Math.min(...values)).padStart(7)} ` +
                `${f1(lib.percentile(values, 90)).padStart(7)} ${f1(Math.max(...values)).padStart(7)}`);
  console.log(`\nfrom the kernel's kill (ms), ${corral.toRestart.length} kills seen  median     min     p90     max`);
  row('to the post-mortem bundle complete', corral.toBundle);
  row('to the next incarnation\'s first JS line', corral.toRestart);
  row('(bare_launcher relaunch: exit -> first line)', bare);
  const beyond = lib.median(corral.toRestart) - lib.median(bare);
  console.log(`\nkills classified oom-kill: ${corral.classified} of ${kills}`);
  console.log(`corral's part of kill-to-running (median kill-to-first-line minus a bare relaunch): ${f1(beyond)} ms ` +
              `(target under 150 ms: ${beyond < 150 && lib.median(corral.toBundle) < 150 ? 'met' : 'MISSED'})`);
  if (corral.example) {
    console.log(`corral says:  reason "${corral.example.reason}", evidence: ${corral.example.evidence.join(' | ')}`);
  }
  if (pm2) {
    console.log(`pm2 says:     "${pm2.said}" (${pm2.restarts} restarts, ${pm2.kills} kernel OOM kills; ` +
                `the word OOM in its log: ${pm2.mentionsOom ? 'yes' : 'no'})`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
