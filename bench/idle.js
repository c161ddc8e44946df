// What an idle supervisor costs: 50 Node services that do nothing (a timer every 2^30 ms), and the CPU
// the supervisor daemon itself uses (utime + stime from /proc/PID/stat, its children not counted) over 60 s
// once they have settled. corral and supervisord (Debian's `supervisor` package, if installed) run in
// turn, one after the other, in each of 5 runs; the figures are the median and the spread (min-max).
//
// Usage: node bench/idle.js [--runs 5] [--seconds 60] [--settle 10] [--services 50] [--no-supervisord]
//        [--limits]   (each corral service with memory = { max = "256MiB", restart_at = "90%", snapshot_at = "80%" })
// Target: corral's median at or under 0.05 % of one core (supervisord's figure on this machine).
'use strict';
const fs = require('fs');
const path = require('path');
const { spawn, execFileSync } = require('child_process');
const lib = require('./lib');

const argv = process.argv.slice(2);
const option = (name, fallback) => {
  const at = argv.indexOf(name);
  return at >= 0 && at + 1 < argv.length ? Number(argv[at + 1]) : fallback;
};
const runs = option('--runs', 5);
const seconds = option('--seconds', 60);
const settleSeconds = option('--settle', 10);
const services = option('--services', 50);
const withSupervisord = !argv.includes('--no-supervisord');
const withLimits = argv.includes('--limits');
const target = 0.05;  // percent of one core

const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

// utime + stime of `pid` in seconds (fields 14 and 15 of /proc/PID/stat, after the command in parentheses).
function cpuSeconds(pid) {
  const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

// Nanoseconds on a CPU (/proc/PID/schedstat): the same figure with a finer grain than clock ticks.
function cpuNanoseconds(pid) {
  return Number(fs.readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);
}

function writeIdleScript(dir, record) {
  const script = path.join(dir, 'idle-service.js');
  fs.writeFileSync(script, `require('fs').appendFileSync(${JSON.stringify(record)}, process.pid + '\\n');
setInterval(() => {}, 1 << 30);
`);
  return script;
}

const countLines = (file) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0);

// Waits for every service, lets them settle, and measures `pid` over `seconds`.
async function measure(pid, record) {
  await lib.waitFor(() => countLines(record) >= services, 120_000, `${services} services`);
  await lib.sleep(settleSeconds * 1000);
  const cpu0 = cpuSeconds(pid);
  const ns0 = cpuNanoseconds(pid);
  const t0 = process.hrtime.bigint();
  await lib.sleep(seconds * 1000);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  return {
    percent: ((cpuSeconds(pid) - cpu0) / wall) * 100,
    finePercent: ((cpuNanoseconds(pid) - ns0) / 1e9 / wall) * 100,
  };
}

async function corralRun() {
  const dir = lib.tempDir('idle');
  const record = path.join(dir, 'record');
  const script = writeIdleScript(dir, record);
  let toml = '';
  for (let i = 0; i < services; i++) {
    toml += `[services.idle${i}]\ncommand = ["${process.execPath}", "${script}"]\n`;
    if (withLimits) toml += 'memory = { max = "256MiB", restart_at = "90%", snapshot_at = "80%" }\n';
    toml += '\n';
  }
  const corral = lib.startCorral(dir, toml);
  try {
    return await measure(corral.pid, record);
  } finally {
    await lib.stopCorral(corral);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function supervisordBinary() {
  for (const candidate of ['/usr/bin/supervisord', '/usr/local/bin/supervisord']) {
    if (fs.existsSync(candidate)) return candidate;
  }
  return null;
}

async function supervisordRun(binary) {
  const dir = lib.tempDir('idle-supervisord');
  const record = path.join(dir, 'record');
  const script = writeIdleScript(dir, record);
  let conf = `[supervisord]\nlogfile=${dir}/supervisord.log\npidfile=${dir}/supervisord.pid\nchildlogdir=${dir}\n\n`;
  conf += `[unix_http_server]\nfile=${dir}/supervisor.sock\n\n`;
  for (let i = 0; i < services; i++) {
    conf += `[program:idle${i}]\ncommand=${process.execPath} ${script}\nautorestart=true\n`;
    conf += `stdout_logfile=${dir}/idle${i}.out\nstderr_logfile=${dir}/idle${i}.err\n\n`;
  }
  fs.writeFileSync(path.join(dir, 'supervisord.conf'), conf);
  const child = spawn(binary, ['-n', '-c', path.join(dir, 'supervisord.conf')], { cwd: dir, stdio: 'ignore' });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  try {
    return await measure(child.pid, record);
  } finally {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (value) => value.toFixed(3).padStart(7);
function summary(label, results) {
  const coarse = results.map((r) => r.percent);
  const fine = results.map((r) => r.finePercent);
  const line = `  ${label.padEnd(14)} ${fmt(lib.median(coarse))} %  (${fmt(Math.min(...coarse))} - ${fmt(Math.max(...coarse))})`;
  console.log(`${line}   schedstat ${fmt(lib.median(fine))} %  (${fmt(Math.min(...fine))} - ${fmt(Math.max(...fine))})`);
  return lib.median(coarse);
}

async function main() {
  const supervisord = withSupervisord ? supervisordBinary() : null;
  if (withSupervisord && !supervisord) console.error('supervisord is not installed (apt-get install supervisor); corral alone');
  console.log(`idle daemon CPU: ${services} idle Node services${withLimits ? ' with memory limits and thresholds' : ''}, ` +
              `${seconds} s after ${settleSeconds} s of settling, ${runs} runs; node ${process.version}`);
  const corral = [];
  const peers = [];
  for (let run = 0; run < runs; run++) {
    corral.push(await corralRun());
    if (supervisord) peers.push(await supervisordRun(supervisord));
    const peer = supervisord ? `, supervisord ${peers[run].percent.toFixed(3)} %` : '';
    console.error(`run ${run + 1}/${runs}: corral ${corral[run].percent.toFixed(3)} %${peer}`);
  }
  console.log('\ndaemon CPU, % of one core (utime+stime)   median  (min - max)');
  const corralMedian = summary('corral', corral);
  if (supervisord) summary('supervisord', peers);
  const verdict = corralMedian <= target ? 'met' : 'MISSED';
  console.log(`\ntarget: corral at or under ${target} % of one core: ${verdict} (median ${corralMedian.toFixed(3)} %)`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
