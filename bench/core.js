#!/usr/bin/env node
// corral core benchmark, in one run on one machine:
//  1. crash-to-restart latency: from a worker's death (SIGKILL, so the moment is exact) to the first line
//     of JavaScript of its next incarnation, with backoff 0; beside a bare `node` start-up (spawn to first
//     line) measured in the same run. What corral adds is the difference of the medians.
//  2. the supervisor daemon's RSS with 50 idle Node services.
// With pm2 installable from the npm registry (skip with --no-pm2), the same two measurements for pm2.
// Usage: node bench/core.js [--runs N] [--no-pm2]
'use strict';
const fs = require('fs');
const path = require('path');
const { spawn, execFileSync } = require('child_process');
const lib = require('./lib');

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1]) || 30;
const withPm2 = !args.includes('--no-pm2');
const services = 50;
const fixture = path.join(__dirname, 'fixtures', 'first-line.js');

async function bareStartups(count) {
  const dir = lib.tempDir('bare');
  const latencies = [];
  for (let i = 0; i < count; i++) {
    const record = path.join(dir, `run-${i}`);
    const before = process.hrtime.bigint();
    const child = spawn(process.execPath, [fixture], {
      stdio: 'ignore',
      env: { ...process.env, RECORD_FILE: record, BENCH_MODE: 'once' },
    });
    await new Promise((resolve) => child.on('exit', resolve));
    latencies.push(lib.ms(lib.valuesOf(lib.readRecords(record), 'start')[0] - before));
  }
  fs.rmSync(dir, { recursive: true, force: true });
  return latencies;
}

// Gaps between each recorded death and the next start.
function restartGaps(record, count) {
  const records = lib.readRecords(record);
  const starts = lib.valuesOf(records, 'start');
  const exits = lib.valuesOf(records, 'exit');
  const gaps = [];
  for (let i = 0; i < count && i + 1 < starts.length && i < exits.length; i++) gaps.push(lib.ms(starts[i + 1] - exits[i]));
  return gaps;
}

async function corralRestarts(count) {
  const dir = lib.tempDir('restart');
  const record = path.join(dir, 'record');
  const corral = lib.startCorral(dir, `
[services.crash]
command = ["${process.execPath}", "${fixture}"]
env = { RECORD_FILE = "${record}", BENCH_MODE = "crash" }
backoff = { initial = "0ms" }
start_limit = { interval = "0s" }
`);
  try {
    await lib.waitFor(() => lib.valuesOf(lib.readRecords(record), 'start').length > count + 1, 120_000, 'restarts');
  } finally {
    await lib.stopCorral(corral);
  }
  const gaps = restartGaps(record, count + 1).slice(1);  // the first one warms the page cache
  fs.rmSync(dir, { recursive: true, force: true });
  return gaps;
}

function idleServicesToml(record) {
  let toml = '';
  for (let i = 0; i < services; i++) {
    toml += `[services.idle${i}]\ncommand = ["${process.execPath}", "${fixture}"]\n`;
    toml += `env = { RECORD_FILE = "${record}", BENCH_MODE = "idle" }\n\n`;
  }
  return toml;
}

async function corralIdleRss() {
  const dir = lib.tempDir('rss');
  const record = path.join(dir, 'record');
  const corral = lib.startCorral(dir, idleServicesToml(record));
  try {
    await lib.waitFor(() => lib.readRecords(record).length >= services, 60_000, `${services} services`);
    await lib.sleep(2000);
    return lib.statusKiB(corral.pid, 'VmRSS');
  } finally {
    await lib.stopCorral(corral);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function withPm2Home(cli, body) {
  const home = lib.tempDir('pm2');
  const env = { ...process.env, PM2_HOME: home };
  const pm2 = (...argv) => execFileSync(process.execPath, [cli, ...argv], { env, stdio: 'pipe', timeout: 120_000 });
  try {
    return await body(pm2, home);
  } finally {
    try {
      pm2('kill');
    } catch {}
    fs.rmSync(home, { recursive: true, force: true });
  }
}

async function pm2Restarts(cli, count) {
  return withPm2Home(cli, async (pm2, home) => {
    const record = path.join(home, 'record');
    const ecosystem = path.join(home, 'ecosystem.config.js');
    fs.writeFileSync(ecosystem, `module.exports = { apps: [{
      name: 'crash', script: ${JSON.stringify(fixture)}, autorestart: true, restart_delay: 0,
      max_restarts: 100000, min_uptime: 100, env: { RECORD_FILE: ${JSON.stringify(record)}, BENCH_MODE: 'crash' } }] };`);
    pm2('start', ecosystem);
    await lib.waitFor(() => lib.valuesOf(lib.readRecords(record), 'start').length > count + 1, 120_000, 'pm2 restarts');
    pm2('delete', 'all');
    return restartGaps(record, count + 1).slice(1);
  });
}

async function pm2IdleRss(cli) {
  return withPm2Home(cli, async (pm2, home) => {
    const record = path.join(home, 'record');
    const apps = [];
    for (let i = 0; i < services; i++) {
      apps.push({ name: `idle${i}`, script: fixture, env: { RECORD_FILE: record, BENCH_MODE: 'idle' } });
    }
    const ecosystem = path.join(home, 'ecosystem.config.js');
    fs.writeFileSync(ecosystem, `module.exports = { apps: ${JSON.stringify(apps)} };`);
    pm2('start', ecosystem);
    await lib.waitFor(() => lib.readRecords(record).length >= services, 60_000, `${services} pm2 services`);
    await lib.sleep(2000);
    const daemonPid = Number(fs.readFileSync(path.join(home, 'pm2.pid'), 'utf8'));
    return lib.statusKiB(daemonPid, 'VmRSS');
  });
}

const f1 = (x) => x.toFixed(1);

async function main() {
  if (!fs.existsSync(lib.corralBinary)) throw new Error(`${lib.corralBinary} is missing: run scripts/build.sh first`);
  console.log(`corral core benchmark: ${runs} restarts each, ${services} idle services; node ${process.version}`);

  const bare = await bareStartups(Math.ceil(runs / 2));  // half before, half after the corral run
  const corral = await corralRestarts(runs);
  bare.push(...(await bareStartups(Math.floor(runs / 2))));
  const corralRss = await corralIdleRss();

  let pm2 = null;
  let pm2Rss = null;
  const cli = withPm2 ? lib.installPm2() : null;
  if (cli) {
    pm2 = await pm2Restarts(cli, runs);
    pm2Rss = await pm2IdleRss(cli);
  }

  const bareMedian = lib.median(bare);
  console.log('\ncrash-to-restart latency, death to first line of JavaScript (ms)');
  console.log('                          median    p90   added to bare start-up');
  const row = (name, values) =>
    console.log(`  ${name.padEnd(22)} ${f1(lib.median(values)).padStart(7)} ${f1(lib.percentile(values, 90)).padStart(6)}   ` +
                (values === bare ? '(baseline)' : `+${f1(lib.median(values) - bareMedian)} ms`));
  row('bare node start-up', bare);
  row('corral, backoff 0', corral);
  if (pm2) row('pm2, restart_delay 0', pm2);

  console.log(`\nsupervisor RSS with ${services} idle Node services`);
  console.log(`  corral daemon          ${f1(corralRss / 1024).padStart(6)} MiB`);
  if (pm2Rss) console.log(`  pm2 daemon             ${f1(pm2Rss / 1024).padStart(6)} MiB   (${f1(pm2Rss / corralRss)}x corral)`);

  const added = lib.median(corral) - bareMedian;
  console.log(`\ntargets: corral adds under 5 ms: ${added < 5 ? 'met' : 'MISSED'} (+${f1(added)} ms); ` +
              `daemon RSS under 10 MB: ${corralRss * 1024 < 10e6 ? 'met' : 'MISSED'} (${f1(corralRss / 1024)} MiB)`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
