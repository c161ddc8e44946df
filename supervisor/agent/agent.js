'use strict';
// corral's agent: preloaded (NODE_OPTIONS=--require) into every Node process of a service with
// `listen = [...]`, so that an unmodified app shares the sockets the daemon holds, and into every Node
// process with a json IPC channel (unless `node_agent = false`), to report on its runtime.
//
// The daemon passes its listening sockets with systemd's protocol (fds 3.., LISTEN_FDS, LISTEN_PID) and
// describes them in CORRAL_LISTEN. A listen() on a held address takes the inherited fd instead of binding,
// so every instance accepts from the same socket and a restart never refuses a connection. Each adopted
// address is reported on the IPC channel as {cmd: 'NODE_CORRAL_LISTENING', address}.
//
// On the stop signal (CORRAL_STOP_SIGNAL), when the app has no listener of its own for it, the agent
// drains instead of dying at once: the adopted servers stop accepting (the other instances go on accepting
// from the shared socket), every later HTTP response carries `Connection: close`, connections still idle
// after a grace are closed, and when none is left the signal is raised again with its default action.
//
// A process whose LISTEN_PID is not its own (a child of the app: NODE_OPTIONS is inherited, the
// sockets' meaning is not) leaves everything as it is, and so does a worker thread (preloaded too).

const net = require('net');
const os = require('os');
const path = require('path');
const { isMainThread } = require('worker_threads');

const IDLE_GRACE_MS = 1000;  // how long a connection idle during the drain may still send a request
const SWEEP_MS = 100;

const kHidden = Symbol('corral.hiddenServers');
const kResponse = Symbol('corral.lastResponse');
const kIdle = Symbol('corral.idleSince');

function warn(what) {
  process.emitWarning(what, { code: 'CORRAL_AGENT' });
}

// The held sockets in fd order, or null when this process is not the one they were passed to.
function heldSockets(env) {
  if (env.LISTEN_PID !== String(process.pid) || env.CORRAL_LISTEN === undefined) return null;
  const count = Number(env.LISTEN_FDS);
  let list;
  try {
    list = JSON.parse(env.CORRAL_LISTEN);
  } catch (error) {
    warn(`CORRAL_LISTEN is not JSON (${error.message}); the held sockets are not used`);
    return null;
  }
  const valid = (s) => s !== null && typeof s === 'object' && Number.isInteger(s.fd) && s.fd >= 3 &&
    s.fd < 3 + count && typeof s.address === 'string' &&
    (typeof s.path === 'string' || (typeof s.host === 'string' && Number.isInteger(s.port)));
  if (!Array.isArray(list) || !list.every(valid)) {
    warn(`CORRAL_LISTEN is not a list of {fd, address, host and port or path} within LISTEN_FDS=` +
         `${env.LISTEN_FDS}; the held sockets are not used`);
    return null;
  }
  return list.map((s) => ({ ...s, host: s.host === undefined ? undefined : canonicalHost(s.host) }));
}

function canonicalHost(host) {
  const lower = String(host).toLowerCase();
  try {
    return net.isIPv6(lower) ? new URL(`http://[${lower}]/`).hostname.slice(1, -1) : lower;
  } catch {
    return lower;  // with a zone (fe80::1%eth0): compared as written
  }
}

const isAny = (host) => host === '' || host === '::' || host === '0.0.0.0';
const LOCALHOST = ['127.0.0.1', '::1'];

// What a listen() call asks for, read the way Node reads its arguments: {port, host}, {path}, {fd},
// or null (a handle, port 0, or arguments Node itself will reject).
function requested(args) {
  const first = args[0];
  if (first !== null && typeof first === 'object') {
    if (first._handle || first.handle) return null;
    if (typeof first.fd === 'number') return { fd: first.fd };
    if (first.port !== undefined && first.port !== null) return tcp(first.port, first.host);
    return typeof first.path === 'string' ? { path: first.path } : null;
  }
  if (typeof first === 'string' && !(Number(first) >= 0)) return { path: first };
  if (typeof first !== 'number' && typeof first !== 'string') return null;
  return tcp(first, typeof args[1] === 'string' ? args[1] : undefined);
}

function tcp(port, host) {
  const number = Number(port);
  if (!Number.isInteger(number) || number <= 0 || number > 65535) return null;
  return { port: number, host: host ? canonicalHost(host) : '' };
}

// Node's backlog for this call: options.backlog, else a number in second or third place.
function backlogOf(args) {
  const number = (value) => (typeof value === 'number' || typeof value === 'string') && Number(value) >= 0;
  if (args[0] !== null && typeof args[0] === 'object' && args[0].backlog) return args[0].backlog;
  if (number(args[1])) return Number(args[1]);
  return number(args[2]) ? Number(args[2]) : undefined;
}

// The held sockets a request matches. "Any" (no host, '::', '0.0.0.0') takes every held wildcard socket
// on the port, or, when the port is held on particular addresses only, those.
function matching(held, want) {
  if (want.fd !== undefined) return held.filter((s) => s.fd === want.fd);
  if (want.path !== undefined) {
    const same = (p) => p === want.path || (p[0] !== '\0' && path.resolve(p) === path.resolve(want.path));
    return held.filter((s) => s.path !== undefined && same(s.path));
  }
  const onPort = held.filter((s) => s.port === want.port);
  if (isAny(want.host)) {
    const wildcard = onPort.filter((s) => isAny(s.host));
    return wildcard.length > 0 ? wildcard : onPort;
  }
  if (want.host === 'localhost') return onPort.filter((s) => LOCALHOST.includes(s.host));
  return onPort.filter((s) => s.host === want.host);
}

function addressInUse(want) {
  const host = want.host || '::';
  const where = want.path ?? (want.fd !== undefined ? `fd ${want.fd}` : `${host}:${want.port}`);
  const error = new Error(`listen EADDRINUSE: address already in use ${where}`);
  error.code = 'EADDRINUSE';
  error.errno = -os.constants.errno.EADDRINUSE;
  error.syscall = 'listen';
  if (want.path !== undefined) error.address = want.path;
  if (want.port !== undefined) Object.assign(error, { address: host, port: want.port });
  return error;
}

function report(socket) {
  if (typeof process.send !== 'function' || !process.connected) return;
  // A callback takes a failed send's error, which would otherwise be an 'error' event on process.
  process.send({ cmd: 'NODE_CORRAL_LISTENING', address: socket.address }, () => {});
}

// --- connections of the adopted servers, for the drain -------------------------------------------------

const adoptedServers = new Set();
const connections = new Set();
let draining = false;

function track(server) {
  if (adoptedServers.has(server)) return;
  adoptedServers.add(server);
  // An https server's requests arrive on the TLS socket, which 'secureConnection' hands over.
  const event = typeof server.addContext === 'function' ? 'secureConnection' : 'connection';
  server.prependListener(event, (socket) => {
    connections.add(socket);
    socket.once('close', () => connections.delete(socket));
  });
  server.prependListener('request', (request, response) => {
    request.socket[kResponse] = response;
    if (draining) response.shouldKeepAlive = false;
  });
  // An app that stops its own server (its own handler of the stop signal) gets the same drain: http's
  // close() would close the idle keep-alive connections at once, racing their clients' next requests.
  if (typeof server.closeIdleConnections === 'function') {
    server.close = function close(...args) {
      drainConnections(null, false);
      return net.Server.prototype.close.apply(this, args);
    };
  }
}

// An HTTP connection is busy while its last response is unfinished; any other connection counts as idle.
function isIdle(socket) {
  const response = socket[kResponse];
  return response === undefined || response.writableFinished;
}

// Closes the connections that stayed idle for the whole grace. It runs from setImmediate, after the poll
// phase has read what arrived meanwhile, so that a request already received is answered, not cut off.
function closeIdle(now) {
  for (const socket of connections) {
    const response = socket[kResponse];
    const idle = socket[kIdle];
    if (!isIdle(socket)) socket[kIdle] = undefined;
    else if (idle === undefined || idle.response !== response) socket[kIdle] = { response, since: now };
    else if (now - idle.since >= IDLE_GRACE_MS) socket.destroy();
  }
}

// Lets the open connections finish: every response from now on asks for `Connection: close`, a connection
// idle for IDLE_GRACE_MS is closed, and `onEmpty` runs once none is left. Connections are swept rather
// than watched, so that serving needs no listener per request. `hold`: the sweep keeps the process alive
// (the stop signal's drain); an app that closed its server itself may exit whenever it likes.
let sweeping = null;
function drainConnections(onEmpty, hold) {
  draining = true;
  for (const socket of connections) {
    const response = socket[kResponse];
    if (response !== undefined && !response.headersSent) response.shouldKeepAlive = false;
  }
  if (sweeping !== null) {
    if (onEmpty) sweeping.waiters.push(onEmpty);
    if (hold) sweeping.timer.ref();
    return;
  }
  const sweep = () => {
    closeIdle(Date.now());
    if (connections.size > 0 || sweeping === null) return;
    clearInterval(sweeping.timer);
    const { waiters } = sweeping;
    sweeping = null;
    for (const waiter of waiters) waiter();
  };
  sweeping = { waiters: onEmpty ? [onEmpty] : [], timer: setInterval(() => setImmediate(sweep), SWEEP_MS) };
  if (!hold) sweeping.timer.unref();
  setImmediate(sweep);
}

// At the stop signal: stop accepting, let the connections finish, then die by the signal.
function drain(signal, onSignal) {
  for (const server of adoptedServers) {
    // Not http's close(): since Node 19 it also closes the idle keep-alive connections at once, while
    // their client may be sending its next request on them.
    if (server.listening) net.Server.prototype.close.call(server);
  }
  drainConnections(() => {
    process.removeListener(signal, onSignal);
    process.kill(process.pid, signal);
  }, true);
}

function installStopSignal(signal) {
  if (os.constants.signals[signal] === undefined) {
    return warn(`CORRAL_STOP_SIGNAL=${signal} is not a signal name such as SIGTERM; stops are not drained`);
  }
  if (signal === 'SIGKILL' || signal === 'SIGSTOP') return;  // cannot be caught: no drain asked for
  const onSignal = () => {
    if (process.listenerCount(signal) > 1) return;  // the app shuts itself down
    if (!draining) return drain(signal, onSignal);
    process.removeListener(signal, onSignal);  // a second signal: no more waiting
    process.kill(process.pid, signal);
  };
  process.on(signal, onSignal);
}

// --- listen() -----------------------------------------------------------------------------------------

function hiddenServer(server, socket, backlog) {
  const hidden = new net.Server();
  for (const option of ['allowHalfOpen', 'pauseOnConnect', 'noDelay', 'keepAlive', 'keepAliveInitialDelay',
                        'highWaterMark']) {
    hidden[option] = server[option];
  }
  hidden.on('connection', (connection) => {
    // Counted as the visible server's, as Node counts its own: its close() waits for it, its
    // getConnections() and maxConnections see it.
    hidden._connections--;
    if (server.maxConnections && server._connections >= server.maxConnections) {
      connection.destroy();
      return server.emit('drop');
    }
    server._connections++;
    connection.server = connection._server = server;
    server.emit('connection', connection);
  });
  hidden.on('error', (error) => server.emit('error', error));
  hidden.once('listening', () => report(socket));
  originalListen.call(hidden, { fd: socket.fd }, backlog);
  if (server._unref) hidden.unref();
  return hidden;
}

function adopt(server, sockets, args) {
  const [first, ...rest] = sockets;
  for (const socket of sockets) socket.adopted = true;
  track(server);
  server.once('listening', () => report(first));
  if (first.path !== undefined) server._pipeName = first.path;  // address() gives the path, as when bound
  const backlog = first.backlog || backlogOf(args);  // the service file's, for the socket all instances share
  const callback = typeof args[args.length - 1] === 'function' ? [args[args.length - 1]] : [];
  const signal = args[0] !== null && typeof args[0] === 'object' ? args[0].signal : undefined;
  originalListen.call(server, { fd: first.fd, signal }, backlog, ...callback);
  if (rest.length > 0) server[kHidden] = rest.map((socket) => hiddenServer(server, socket, backlog));
  return server;
}

const originalListen = net.Server.prototype.listen;

function install(held) {
  net.Server.prototype.listen = function listen(...args) {
    const want = this._handle ? null : requested(args);
    const sockets = want === null ? [] : matching(held, want);
    if (sockets.length === 0) return originalListen.apply(this, args);
    if (sockets.some((socket) => socket.adopted)) {
      if (typeof args[args.length - 1] === 'function') this.once('listening', args[args.length - 1]);
      process.nextTick(() => this.emit('error', addressInUse(want)));
      return this;
    }
    if (want.fd !== undefined) {  // the app's own {fd}: used as given, reported and drained
      sockets[0].adopted = true;
      track(this);
      this.once('listening', () => report(sockets[0]));
      return originalListen.apply(this, args);
    }
    return adopt(this, sockets, args);
  };
  // The hidden servers follow the one the app sees. http's close() calls this close() too.
  for (const name of ['close', 'ref', 'unref']) {
    const original = net.Server.prototype[name];
    net.Server.prototype[name] = function (...args) {
      for (const hidden of this[kHidden] ?? []) original.call(hidden);
      if (name === 'close') this[kHidden] = undefined;
      return original.apply(this, args);
    };
  }
  installStopSignal(process.env.CORRAL_STOP_SIGNAL || 'SIGTERM');
}

// --- runtime reports ------------------------------------------------------------------------------------

// Every CORRAL_REPORT_MS, one internal message on the IPC channel (supervisor/agent/runtime_report.hpp):
// memory, event-loop delay since the previous report, active handles, GC time so far. Node hands internal
// messages to no 'message' listener, and the broker takes them. The timer and the GC observer are unref'd:
// they never keep the app alive.
function startReports(interval) {
  const { monitorEventLoopDelay, PerformanceObserver } = require('perf_hooks');
  // The histogram records the time between ticks of a `resolution` ms timer: an idle loop reads 10 ms.
  // The delay is what comes on top (as @fastify/under-pressure reads it too).
  const resolution = 10;
  const delay = monitorEventLoopDelay({ resolution });
  delay.enable();
  let gcMs = 0;
  try {
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) gcMs += entry.duration;
    });
    observer.observe({ entryTypes: ['gc'] });
    if (typeof observer.unref === 'function') observer.unref();
  } catch {
    // no GC entries in this Node: gc_ms stays 0
  }
  const ms = (ns) => (Number.isFinite(ns) ? Math.max(0, ns / 1e6 - resolution) : 0);
  const send = () => {
    if (typeof process.send !== 'function' || !process.connected) return;
    const memory = process.memoryUsage();
    const handles = typeof process.getActiveResourcesInfo === 'function' ? process.getActiveResourcesInfo().length : 0;
    const report = {
      cmd: 'NODE_CORRAL_RUNTIME', heap_used: memory.heapUsed, heap_total: memory.heapTotal,
      external: memory.external, array_buffers: memory.arrayBuffers ?? 0,
      loop_p50_ms: delay.count > 0 ? ms(delay.percentile(50)) : 0,
      loop_p99_ms: delay.count > 0 ? ms(delay.percentile(99)) : 0,
      loop_max_ms: delay.count > 0 ? ms(delay.max) : 0,
      handles, gc_ms: gcMs,
    };
    delay.reset();
    process.send(report, () => {});
  };
  // The first report comes at the loop's first turn, once the main module has run: from then on the loop
  // is judged by `liveness.event_loop`, no longer by the start-up limit.
  setImmediate(send).unref();
  setInterval(send, interval).unref();
}

// Taken out of the environment, so that the app's own Node children (which inherit NODE_OPTIONS) stay quiet.
function reportInterval(env) {
  const text = env.CORRAL_REPORT_MS;
  delete env.CORRAL_REPORT_MS;
  const interval = Number(text);
  if (text === undefined) return null;
  if (!Number.isInteger(interval) || interval <= 0) {
    warn(`CORRAL_REPORT_MS=${text} is not a number of milliseconds; no runtime reports`);
    return null;
  }
  return interval;
}

// --- the stack of a stuck event loop -------------------------------------------------------------------
// With liveness, corral asks for the JavaScript stack of a loop that stopped turning by creating
// javascript-stack.request in CORRAL_STACK_DIR (supervisor/agent/stack_request.hpp). A signal cannot
// serve it: Node handles signals (--report-on-signal too) on the event loop, which is what is stuck. A worker
// thread can: it watches that directory and asks the main thread's inspector to pause, which V8 serves through
// an interrupt, even inside `while (true) {}`. The frames go to javascript-stack.json (renamed into place);
// then the main thread resumes. The worker is unref'd: it never keeps the app alive.
function startStackWatch(dir) {
  try {
    const { Worker } = require('worker_threads');
    const worker = new Worker(`(${stackWatchMain.toString()})()`, { eval: true, workerData: { dir } });
    worker.on('error', (error) => warn(`no JavaScript stack on request: ${error.message}`));
    worker.unref();
  } catch (error) {
    warn(`no JavaScript stack on request: ${error.message}`);
  }
}

// Runs in the worker; self-contained (it is passed as source).
function stackWatchMain() {
  const fs = require('fs');
  const path = require('path');
  const inspector = require('inspector');
  const { workerData } = require('worker_threads');
  const request = path.join(workerData.dir, 'javascript-stack.request');
  const answer = path.join(workerData.dir, 'javascript-stack.json');
  let taking = false;
  const take = () => {
    if (taking || !fs.existsSync(request)) return;
    taking = true;
    const session = new inspector.Session();
    session.connectToMainThread();
    const urls = new Map();
    session.on('Debugger.scriptParsed', ({ params }) => urls.set(params.scriptId, params.url));
    session.once('Debugger.paused', ({ params }) => {
      const frames = params.callFrames.slice(0, 64).map((frame) => ({
        function: frame.functionName || '(anonymous)',
        url: urls.get(frame.location.scriptId) || frame.url || '',
        line: frame.location.lineNumber + 1,
        column: frame.location.columnNumber + 1,
      }));
      const text = JSON.stringify({ pid: process.pid, taken_at: new Date().toISOString(), frames }, null, 1);
      try {
        fs.writeFileSync(`${answer}.tmp`, `${text}\n`);
        fs.renameSync(`${answer}.tmp`, answer);
        fs.rmSync(request, { force: true });
      } catch {
        // the directory went away: the instance is gone already
      }
      session.post('Debugger.resume', () => {
        session.disconnect();
        taking = false;
      });
    });
    session.post('Debugger.enable', () => session.post('Debugger.pause'));
  };
  try {
    fs.watch(workerData.dir, take);
  } catch {
    setInterval(take, 250);
  }
  take();
}

// Taken out of the environment, like CORRAL_REPORT_MS.
function stackDir(env) {
  const dir = env.CORRAL_STACK_DIR;
  delete env.CORRAL_STACK_DIR;
  return dir ? dir : null;
}

if (isMainThread) {
  const held = heldSockets(process.env);
  if (held !== null) install(held);
  const interval = reportInterval(process.env);
  if (interval !== null) startReports(interval);
  const dir = stackDir(process.env);
  if (dir !== null) startStackWatch(dir);
}
