#!/usr/bin/env node
// A soak: the daemon runs a realistic mix for a while and its RSS is sampled; memory that only grows is a
// leak to find. The mix:
//  - two idle Node services (instances = 2);
//  - IPC with spill: a sender bursts 5000 messages of ~256 bytes every 10 s to a receiver over a route
//    limited to 1000/s with a 128 KiB queue, so that every burst spills to disk and is replayed;
//  - a crash-looping service (prints a line to each stream, exits 1 after 0.5 s; backoff 100 ms to 2 s);
//  - `corral logs -f` and `corral events` followers that connect, stay a few seconds and go;
//  - `status` asked on the control socket every second.
// Prints the RSS curve (a table every minute and a sparkline of every sample) and the slope over the last
// third of the run in KiB per minute; a slope above the threshold is reported as a leak.
// Run it inside a memory-limited cgroup: scripts/run-limited.sh 8G -- node bench/soak.js
// Usage: node bench/soak.js [--minutes N (30)] [--every S (10), RSS sample period] [--threshold KiB/min (32)]
'use strict';
const fs = require('fs');
const net = require('net');
const path = require('path');
const { spawn } = require('child_process');
const lib = require('./lib');

const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const minutes = option('--minutes', 30);
const every = option('--every', 10);
const threshold = option('--threshold', 32);
const peer = path.join(__dirname, 'fixtures', 'soak-peer.js');
const idle = path.join(__dirname, 'fixtures', 'first-line.js');
const node = process.execPath;

const toml = (dir) => `
[services.web]
command = ["${node}", "${idle}"]
instances = 2
env = { RECORD_FILE = "${dir}/web.record", BENCH_MODE = "idle" }

[services.sender]
command = ["${node}", "${peer}"]
env = { ROLE = "sender", BURST = "5000", BURST_EVERY_MS = "10000" }

[services.receiver]
command = ["${node}", "${peer}"]
env = { ROLE = "receiver" }

[services.crasher]
command = ["${node}", "${peer}"]
env = { ROLE = "crasher", LIFE_MS = "500" }
backoff = { initial = "100ms", factor = 2, max = "2s", reset_after = "30s" }
start_limit = { interval = "0s" }

[[routes]]
from = "sender"
to = "receiver"
rate = "1000/s"
queue = { max_bytes = "128KiB", overflow = "spill" }

[[routes]]
from = "receiver"
to = "sender"
`;

function askStatus(socket) {
  return new Promise((resolve) => {
    const client = net.connect(socket);
    let data = '';
    const done = (value) => { client.destroy(); resolve(value); };
    const timer = setTimeout(() => done(null), 10_000);
    client.on('connect', () => client.write('{"v":1,"id":1,"cmd":"status"}\n'));
    client.on('data', (chunk) => {
      data += chunk;
      if (data.includes('\n')) { clearTimeout(timer); done(JSON.parse(data.slice(0, data.indexOf('\n')))); }
    });
    client.on('error', () => { clearTimeout(timer); done(null); });
  });
}

// A follower (`logs -f` of everything, or `events`) that stays `ms` and goes.
function follower(socket, kind, ms) {
  const argv = kind === 'logs' ? ['logs', '-f', '-n', '20', '--socket', socket] : ['events', '--socket', socket];
  const child = spawn(lib.corralBinary, argv, { stdio: ['ignore', 'ignore', 'ignore'] });
  setTimeout(() => child.kill('SIGINT'), ms);
  return new Promise((resolve) => child.on('exit', resolve));
}

const sparks = '▁▂▃▄▅▆▇█';
function sparkline(values) {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return values.map((v) => sparks[hi === lo ? 0 : Math.min(7, Math.floor(((v - lo) / (hi - lo)) * 8))]).join('');
}

// Least squares slope of (minute, KiB) points, in KiB per minute.
function slope(points) {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p[0], 0) / n;
  const my = points.reduce((s, p) => s + p[1], 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

async function main() {
  if (!fs.existsSync(lib.corralBinary)) throw new Error(`${lib.corralBinary} is missing: run scripts/build.sh first`);
  const dir = lib.tempDir('soak');
  const corral = lib.startCorral(dir, toml(dir));
  const socket = path.join(dir, '.corral', 'corral.sock');
  const samples = [];  // [minute, KiB]
  let statusAsked = 0;
  let statusFailed = 0;
  let followers = 0;
  let last = null;
  const running = [];
  try {
    await lib.waitFor(() => fs.existsSync(socket), 10_000, 'the control socket');
    const start = Date.now();
    const end = start + minutes * 60_000;
    let nextSample = start;
    let nextFollower = start + 2000;
    console.log(`soak for ${minutes} min: daemon pid ${corral.pid}, RSS every ${every} s`);
    console.log(' minute   RSS KiB   restarts(crasher)   spilled(route)');
    // Ctrl-C or SIGTERM ends the run early, and the daemon still shuts down cleanly (its cgroups go with it).
    let interrupted = false;
    for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => { interrupted = true; });
    while (Date.now() < end && !interrupted) {
      const status = await askStatus(socket);
      statusAsked += 1;
      if (!status || !status.ok) statusFailed += 1; else last = status.result;
      const now = Date.now();
      if (now >= nextFollower) {
        followers += 1;
        running.push(follower(socket, followers % 3 === 0 ? 'events' : 'logs', 2000 + (followers % 5) * 1000));
        nextFollower = now + 4000;
      }
      if (now >= nextSample) {
        const minute = (now - start) / 60_000;
        const kib = lib.statusKiB(corral.pid, 'VmRSS');
        samples.push([minute, kib]);
        const crasher = last ? last.instances.find((i) => i.service === 'crasher') : null;
        const route = last && last.routes ? last.routes.find((r) => r.from === 'sender').destinations[0] : null;
        if (samples.length % Math.max(1, Math.round(60 / every)) === 1 || every >= 60) {
          console.log(`${minute.toFixed(1).padStart(7)}  ${String(kib).padStart(8)}  ${String(crasher ? crasher.restarts : '-').padStart(18)}` +
                      `  ${String(route ? route.spilled : '-').padStart(15)}`);
        }
        nextSample += every * 1000;
      }
      await lib.sleep(1000);
    }
  } finally {
    await Promise.all(running);
    await lib.stopCorral(corral);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const kibs = samples.map((s) => s[1]);
  const lastThird = samples.filter((s) => s[0] >= (minutes * 2) / 3);
  const tail = slope(lastThird);
  console.log(`\ndaemon RSS (${Math.min(...kibs)} to ${Math.max(...kibs)} KiB), one mark per ${every} s sample`);
  console.log(`  ${sparkline(kibs)}`);
  console.log(`first ${kibs[0]} KiB, at a third ${kibs[Math.floor(kibs.length / 3)]} KiB, last ${kibs[kibs.length - 1]} KiB, peak ${Math.max(...kibs)} KiB`);
  console.log(`status asked ${statusAsked} times (${statusFailed} failed); ${followers} followers came and went`);
  console.log(`slope over the last third: ${tail.toFixed(1)} KiB/min (threshold ${threshold} KiB/min): ` +
              `${Math.abs(tail) <= threshold ? 'levels off' : 'LEAK? it keeps growing'}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
