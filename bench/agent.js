#!/usr/bin/env node
// The Node agent's cost on an HTTP app: a small Node HTTP server (bench/fixtures/hello.js, answering at
// once) under corral, with `node_agent = true` (the default: the agent preloaded, reporting heap,
// event-loop delay, handles and GC time every sample interval) and `node_agent = false`, alternating in one
// run (the order flips every run). Each measurement starts a fresh daemon, waits until the app answers,
// warms it with WARMUP (3) s of load, then measures SECONDS (10) s with autocannon (npm, installed into
// bench/.cache) with CONNECTIONS (10) keep-alive connections, in a process of its own. A side with the
// agent must show a runtime report in `corral status --json` and the other none, or the run is refused.
// Prints requests per second, median (min-max) of RUNS (7) runs per side, the ratio of the medians and
// the verdict. Target: under 1% throughput lost with the agent.
// Usage (root, inside a memory limit: scripts/run-limited.sh 4G -- node bench/agent.js):
//   node bench/agent.js [--runs N] [--seconds N] [--warmup N] [--connections N] [--sample-interval 1s] [--no-pin]
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn, execFileSync } = require('child_process');
const lib = require('./lib');
const { freePort } = require('./deploy_sides');

const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const runs = Number(option('--runs', 7));
const seconds = Number(option('--seconds', 10));
const warmup = Number(option('--warmup', 3));
const connections = Number(option('--connections', 10));
const sampleInterval = option('--sample-interval', '1s');
// The load generator on CPU 0, the app and the daemon on CPU 1 (taskset): they no longer take each other's
// time slices, which moved the two sides of one run by 20-30%. --no-pin shares the cores as before.
const pin = !args.includes('--no-pin') && os.cpus().length >= 2;
const app = path.join(__dirname, 'fixtures', 'hello.js');

function toml(port, agent) {
  return `[supervisor]\nsample_interval = "${sampleInterval}"\n\n[services.web]\n` +
         `command = ["${process.execPath}", "${app}"]\nnode_agent = ${agent}\nenv = { PORT = "${port}" }\n`;
}

// autocannon's CLI in a process of its own; resolves with its JSON result.
function load(autocannon, port, durationS) {
  return new Promise((resolve, reject) => {
    const cli = path.join(autocannon, 'autocannon.js');
    const command = [process.execPath, cli, '--json', '-c', String(connections), '-d', String(durationS),
                                           `http://127.0.0.1:${port}/`];
    const pinned = pin ? ['taskset', '-c', '0', ...command] : command;
    const child = spawn(pinned[0], pinned.slice(1), { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (data) => (out += data));
    const timer = setTimeout(() => child.kill('SIGKILL'), (durationS + 60) * 1000);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`autocannon exited with ${code}`));
      resolve(JSON.parse(out));
    });
  });
}

function status(dir) {
  const socket = path.join(dir, '.corral', 'corral.sock');
  return JSON.parse(execFileSync(lib.corralBinary, ['status', '--json', '--socket', socket], { timeout: 30_000 }));
}

// CPU time (user + system) of process `pid` so far, in seconds (/proc/PID/stat, after the command's ')').
function cpuSeconds(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;  // utime, stime: fields 14 and 15, USER_HZ 100
}

// One measurement: { rps, p99, cpuUs (the app's CPU per request, microseconds), runtime (the instance's
// report at the end, or undefined) }.
async function measure(autocannon, agent) {
  return lib.inTempDir('agent', async (dir) => {
    const port = await freePort();
    const daemon = lib.startCorral(dir, toml(port, agent));
    try {
      await lib.waitFor(() => fs.existsSync(path.join(dir, '.corral', 'corral.sock')), 30_000, 'the daemon');
      const deadline = Date.now() + 30_000;
      for (;;) {
        const answered = await load(autocannon, port, 1).then((r) => r.requests.total > 0, () => false);
        if (answered) break;
        if (Date.now() > deadline) throw new Error('the app did not answer within 30 s');
      }
      const { pid } = status(dir).instances[0];
      if (pin) {
        for (const each of [pid, daemon.pid]) execFileSync('taskset', ['-a', '-p', '-c', '1', String(each)], { stdio: 'ignore' });
      }
      await load(autocannon, port, warmup);
      const cpuBefore = cpuSeconds(pid);
      const result = await load(autocannon, port, seconds);
      const cpuUs = ((cpuSeconds(pid) - cpuBefore) / result.requests.total) * 1e6;
      if (result.errors || result.non2xx) throw new Error(`${result.errors} errors, ${result.non2xx} non-2xx answers`);
      const { runtime } = status(dir).instances[0];
      if (agent !== (runtime !== undefined)) {
        throw new Error(`node_agent = ${agent} but status shows ${runtime ? 'a' : 'no'} runtime report`);
      }
      return { rps: result.requests.total / result.duration, p99: result.latency.p99, cpuUs, runtime };
    } finally {
      const { code, signal } = await lib.stopCorral(daemon);
      if (code !== 0) console.error(`corral exited with ${code ?? signal}`);
    }
  });
}

async function main() {
  if (!fs.existsSync(lib.corralBinary)) throw new Error(`${lib.corralBinary} is missing: run scripts/build.sh first`);
  const autocannon = lib.installFromNpm('autocannon-9', 'autocannon@9', 'autocannon');
  if (!autocannon) throw new Error('autocannon could not be installed from the npm registry');
  const version = JSON.parse(fs.readFileSync(path.join(autocannon, 'package.json'), 'utf8')).version;
  console.log(`# The Node agent's cost on an HTTP app: node ${process.version}, autocannon ${version}`);
  console.log(`${pin ? 'autocannon on CPU 0, the app and corral on CPU 1; ' : ''}` +
              `${runs} runs per side, ${seconds} s each after ${warmup} s of warm-up, ${connections} keep-alive ` +
              `connections; sample_interval ${sampleInterval}; ${new Date().toISOString()}; ${os.cpus().length} CPUs, ` +
              `load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}\n`);
  const results = { true: [], false: [] };
  let lastRuntime;
  for (let run = 0; run < runs; run++) {
    for (const agent of run % 2 === 0 ? [true, false] : [false, true]) {
      const result = await measure(autocannon, agent);
      results[agent].push(result);
      if (result.runtime) lastRuntime = result.runtime;
      console.error(`run ${run + 1} of ${runs}, node_agent = ${agent}: ${result.rps.toFixed(0)} req/s, ` +
                    `p99 ${result.p99} ms, ${result.cpuUs.toFixed(2)} us of CPU per request`);
    }
  }
  const rps = (agent) => results[agent].map((r) => r.rps);
  const p99 = (agent) => results[agent].map((r) => r.p99);
  const cpu = (agent) => results[agent].map((r) => r.cpuUs);
  console.log('| | requests/s | p99 latency, ms | app CPU per request, us |');
  console.log('|---|---|---|---|');
  for (const agent of [true, false]) {
    console.log(`| node_agent = ${agent} | ${lib.withSpread(rps(agent), 0)} | ${lib.withSpread(p99(agent), 0)} | ` +
                `${lib.withSpread(cpu(agent), 2)} |`);
  }
  const ratio = lib.median(rps(true)) / lib.median(rps(false));
  const loss = (1 - ratio) * 100;
  const lossText = (value) => (value >= 0 ? `${value.toFixed(2)}% lost` : `${(-value).toFixed(2)}% gained`);
  // The two measurements of a run are back to back: their ratio is less touched by a machine whose load
  // drifts during the run than the medians are.
  const paired = results.true.map((r, i) => r.rps / results.false[i].rps);
  console.log('\nmedian (min-max) of the runs\n');
  console.log(`- ratio of the medians (with / without the agent): ${ratio.toFixed(4)}, ${lossText(loss)} with the agent`);
  console.log(`- ratio within each run (with / without), median (min-max): ${lib.withSpread(paired, 4)}, ` +
              `${lossText((1 - lib.median(paired)) * 100)} with the agent`);
  // The app's CPU per request: what the agent adds to each request's work, whatever share of the two cores
  // the load generator took from the app in that run (throughput moves with that share; this does not).
  const cpuRatio = lib.median(cpu(true)) / lib.median(cpu(false));
  console.log(`- the app's CPU per request (with / without the agent, ratio of the medians): ${cpuRatio.toFixed(4)}, ` +
              `${((cpuRatio - 1) * 100).toFixed(2)}% more with the agent`);
  console.log(`- under 1% of throughput lost with the agent (ratio of the medians): ${loss < 1 ? 'met' : 'MISSED'}`);
  console.log(`- the app's last report under load: ${JSON.stringify(lastRuntime)}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
