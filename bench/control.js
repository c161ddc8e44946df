#!/usr/bin/env node
// The control socket, in one run:
//  1. `corral status --json` end to end (CLI process start, connect, request, print) with 50 instances,
//     median of 100; beside `pm2 jlist` for 50 processes (pm2 installed from the npm registry into
//     bench/.cache; --no-pm2 skips it). Target: under 5 ms.
//  2. the daemon's RSS before and after 1000 client connections (all open at once, each asking for the
//     version, then closed). Target: back within 1 MB.
// Usage: node bench/control.js [--runs N] [--no-pm2]
'use strict';
const fs = require('fs');
const net = require('net');
const path = require('path');
const { spawnSync, execFileSync } = require('child_process');
const lib = require('./lib');

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1]) || 100;
const withPm2 = !args.includes('--no-pm2');
const instances = 50;
const idle = path.join(__dirname, 'fixtures', 'first-line.js');

function timed(command, argv, options) {
  const before = process.hrtime.bigint();
  const result = spawnSync(command, argv, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  const took = lib.ms(process.hrtime.bigint() - before);
  if (result.status !== 0) throw new Error(`${command} ${argv.join(' ')} failed: ${result.stderr}`);
  return { took, stdout: result.stdout.toString() };
}

async function thousandClients(socket) {
  const clients = [];
  for (let i = 0; i < 1000; i++) {
    clients.push(new Promise((resolve, reject) => {
      const client = net.connect(socket);
      let data = '';
      client.on('connect', () => client.write(`{"v":1,"id":${i},"cmd":"version"}\n`));
      client.on('data', (chunk) => {
        data += chunk;
        if (data.includes('\n')) resolve(client);
      });
      client.on('error', reject);
    }));
  }
  const open = await Promise.all(clients);
  for (const client of open) client.destroy();
}

async function corralSide() {
  const dir = lib.tempDir('control');
  const record = path.join(dir, 'record');
  const corral = lib.startCorral(dir, `
[services.idle]
command = ["${process.execPath}", "${idle}"]
instances = ${instances}
env = { RECORD_FILE = "${record}", BENCH_MODE = "idle" }
`);
  try {
    await lib.waitFor(() => lib.readRecords(record).length >= instances, 60_000, `${instances} instances`);
    const socket = path.join(dir, '.corral', 'corral.sock');
    const times = [];
    let count = 0;
    for (let i = 0; i < runs; i++) {
      const { took, stdout } = timed(lib.corralBinary, ['status', '--json', '--socket', socket], { cwd: dir });
      times.push(took);
      count = JSON.parse(stdout).instances.length;
    }
    await lib.sleep(1500);
    const before = lib.statusKiB(corral.pid, 'VmRSS');
    await thousandClients(socket);
    await lib.sleep(2500);  // closed connections are freed within a second
    const after = lib.statusKiB(corral.pid, 'VmRSS');
    const peak = lib.statusKiB(corral.pid, 'VmHWM');
    return { times, count, before, after, peak };
  } finally {
    await lib.stopCorral(corral);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function pm2Side(cli) {
  const home = lib.tempDir('control-pm2');
  const env = { ...process.env, PM2_HOME: home };
  const record = path.join(home, 'record');
  const apps = [];
  for (let i = 0; i < instances; i++) apps.push({ name: `idle${i}`, script: idle, env: { RECORD_FILE: record, BENCH_MODE: 'idle' } });
  const ecosystem = path.join(home, 'ecosystem.config.js');
  fs.writeFileSync(ecosystem, `module.exports = { apps: ${JSON.stringify(apps)} };`);
  try {
    execFileSync(process.execPath, [cli, 'start', ecosystem], { env, stdio: 'ignore', timeout: 120_000 });
    await lib.waitFor(() => lib.readRecords(record).length >= instances, 60_000, 'pm2 instances');
    const times = [];
    for (let i = 0; i < Math.min(runs, 30); i++) times.push(timed(process.execPath, [cli, 'jlist'], { env }).took);
    return times;
  } finally {
    try {
      execFileSync(process.execPath, [cli, 'kill'], { env, stdio: 'ignore', timeout: 30_000 });
    } catch {}
    fs.rmSync(home, { recursive: true, force: true });
  }
}

const f1 = (x) => x.toFixed(1);
const f2 = (x) => x.toFixed(2);

async function main() {
  if (!fs.existsSync(lib.corralBinary)) throw new Error(`${lib.corralBinary} is missing: run scripts/build.sh first`);
  const corral = await corralSide();
  const cli = withPm2 ? lib.installPm2() : null;
  const pm2 = cli ? await pm2Side(cli) : null;
  console.log(`status of ${instances} instances, end to end (CLI process start included), ms`);
  console.log(`                                   median    min    p90    max`);
  const row = (label, times, format) =>
    `  ${label.padEnd(31)} ${[lib.median(times), Math.min(...times), lib.percentile(times, 90), Math.max(...times)].map((x) => format(x).padStart(6)).join(' ')}`;
  console.log(row(`corral status --json (${runs}x)`, corral.times, f2));
  if (pm2) console.log(`${row(`pm2 jlist (${pm2.length}x)`, pm2, f1)}   (${f1(lib.median(pm2) / lib.median(corral.times))}x corral)`);
  const delta = (corral.after - corral.before) / 1024;
  console.log(`\ndaemon RSS around 1000 client connections: before ${f1(corral.before / 1024)} MiB, ` +
              `after ${f1(corral.after / 1024)} MiB (${delta >= 0 ? '+' : ''}${f2(delta)} MiB), peak ${f1(corral.peak / 1024)} MiB`);
  console.log(`\ntargets: status under 5 ms: ${lib.median(corral.times) < 5 ? 'met' : 'MISSED'}; ` +
              `RSS back within 1 MB: ${Math.abs(delta) < 1 ? 'met' : 'MISSED'}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
