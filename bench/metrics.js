#!/usr/bin/env node
// A Prometheus scrape of corral, end to end: HTTP GET /metrics of a daemon running 50 Node instances (5
// services of 10, each service the parent of the next, so that routes are in the exposition), over one
// keep-alive connection as Prometheus scrapes, median of 100 scrapes per run, 5 runs. Target: under 5 ms.
// The baseline, in the same run and with the same client: the very bytes corral answered with (its last
// scrape), served by a trivial Node HTTP server that has them ready (bench/fixtures/static-http.js): what
// any scrape of that size costs over loopback. The ratio is corral's time over it: what building the
// exposition from the daemon's state and serving it through libmicrohttpd adds.
// Usage: node bench/metrics.js [--runs N] [--scrapes N]
'use strict';
const fs = require('fs');
const http = require('http');
const net = require('net');
const path = require('path');
const { spawn } = require('child_process');
const lib = require('./lib');

const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const runs = option('--runs', 5);
const scrapes = option('--scrapes', 100);
const services = 5;
const perService = 10;
const idle = path.join(__dirname, 'fixtures', 'first-line.js');

function statusOf(socket) {
  return new Promise((resolve, reject) => {
    const client = net.connect(socket);
    let data = '';
    client.on('connect', () => client.write('{"v":1,"id":1,"cmd":"status"}\n'));
    client.on('data', (chunk) => {
      data += chunk;
      if (data.includes('\n')) {
        client.destroy();
        resolve(JSON.parse(data.slice(0, data.indexOf('\n'))).result);
      }
    });
    client.on('error', reject);
  });
}

// One GET on `agent`'s kept connection; resolves with the body and the time it took, in ms.
function get(agent, port) {
  return new Promise((resolve, reject) => {
    const before = process.hrtime.bigint();
    http.get({ host: '127.0.0.1', port, path: '/metrics', agent }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`status ${res.statusCode}`));
        resolve({ body: Buffer.concat(chunks), took: lib.ms(process.hrtime.bigint() - before) });
      });
    }).on('error', reject);
  });
}

// `runs` runs of `scrapes` GETs each, after 20 to warm up; every run's times.
async function measure(port) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let body = null;
  for (let i = 0; i < 20; i++) body = (await get(agent, port)).body;
  const perRun = [];
  for (let run = 0; run < runs; run++) {
    const times = [];
    for (let i = 0; i < scrapes; i++) {
      const answer = await get(agent, port);
      times.push(answer.took);
      body = answer.body;
    }
    perRun.push(times);
  }
  agent.destroy();
  return { perRun, body };
}

async function staticServer(body) {
  const dir = lib.tempDir('metrics-static');
  const file = path.join(dir, 'body');
  fs.writeFileSync(file, body);
  const child = spawn(process.execPath, [path.join(__dirname, 'fixtures', 'static-http.js'), file],
                      { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve, reject) => {
    child.stdout.once('data', (line) => resolve(Number(String(line).trim())));
    child.once('exit', (code) => reject(new Error(`static-http.js exited with ${code}`)));
  });
  return { child, port, dir };
}

const row = (label, perRun) => {
  const all = perRun.flat();
  const medians = perRun.map(lib.median);
  return `  ${label.padEnd(34)} ${lib.median(all).toFixed(3).padStart(7)}  ${lib.withSpread(medians, 3).padStart(22)}  ` +
         `${lib.percentile(all, 90).toFixed(3).padStart(7)}`;
};

async function main() {
  if (!fs.existsSync(lib.corralBinary)) throw new Error(`${lib.corralBinary} is missing: run scripts/build.sh first`);
  const dir = lib.tempDir('metrics');
  const record = path.join(dir, 'record');
  let toml = '[supervisor]\nmetrics = "127.0.0.1:0"\n';
  for (let s = 0; s < services; s++) {
    toml += `\n[services.s${s}]\ncommand = ["${process.execPath}", "${idle}"]\ninstances = ${perService}\n` +
            `env = { RECORD_FILE = "${record}", BENCH_MODE = "idle" }\n${s > 0 ? `parent = "s${s - 1}"\n` : ''}`;
  }
  const corral = lib.startCorral(dir, toml);
  let baseline = null;
  try {
    const instances = services * perService;
    await lib.waitFor(() => lib.readRecords(record).length >= instances, 60_000, `${instances} instances`);
    const status = await statusOf(path.join(dir, '.corral', 'corral.sock'));
    const port = Number(status.daemon.metrics.split(':').pop());
    await lib.sleep(1500);  // a memory sample of every instance
    const ours = await measure(port);
    baseline = await staticServer(ours.body);
    const floor = await measure(baseline.port);
    const series = ours.body.toString().split('\n').filter((line) => line && !line.startsWith('#')).length;
    console.log(`GET /metrics of ${instances} instances, end to end over a kept connection; ${ours.body.length} bytes, ` +
                `${series} series; ms`);
    console.log(`  ${''.padEnd(34)}  median  run medians (min-max, ${runs})      p90`);
    console.log(row(`corral (${runs} x ${scrapes})`, ours.perRun));
    console.log(row(`same bytes, static Node server`, floor.perRun));
    const ratio = lib.median(ours.perRun.flat()) / lib.median(floor.perRun.flat());
    console.log(`  corral / static: ${ratio.toFixed(2)}x`);
    console.log(`\ntarget: median under 5 ms: ${lib.median(ours.perRun.flat()) < 5 ? 'met' : 'MISSED'}`);
  } finally {
    if (baseline) {
      baseline.child.kill('SIGKILL');
      fs.rmSync(baseline.dir, { recursive: true, force: true });
    }
    await lib.stopCorral(corral);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
