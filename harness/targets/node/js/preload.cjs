'use strict'
// lifecycle-harness Node preload: `node --require preload.cjs runner.cjs <bundle>`.
//
// 1. Network redirection at the socket layer. Every Node HTTP client ends in tls.connect (https)
//    or net.connect/net.createConnection (http): core http/https (axios, node-fetch, got,
//    follow-redirects, @shopify/shopify-api) and undici (global fetch) alike. A connection to a
//    mapped host (LH_REDIRECT: [{"suffix": ".myshopify.com", "port": N}]) goes to 127.0.0.1:N with
//    the original SNI name kept and the test CA (LH_CA_FILE) as the only trust anchor for it; the
//    Host header is untouched because the HTTP layer writes it. Loopback passes. Any other host is
//    refused with ECONNREFUSED and reported on the control channel (nothing reaches the network).
// 2. Call attribution: every request the harness sends carries `x-lh-call-id`; the handler runs
//    inside an AsyncLocalStorage scope for it, so console output and outbound requests made by
//    that hook call are tagged with it even when calls overlap. Requests to redirected hosts carry
//    the same header so the served fake can tell whose request it answers.
// 3. Log capture: console.{debug,info,log,warn,error} also go, one JSON line each, to the
//    control descriptor (LH_CONTROL_FD), tagged with their call; an `end` record follows the last
//    record of a call once its response is finished.
// 4. Virtual time (LH_FAKE_TIMERS=1): timers and Date are @sinonjs/fake-timers. While a hook call
//    is in flight and no outbound request is pending, the clock jumps to the next timer at once,
//    so back-offs and Retry-After cost no wall time. Each call carries the harness's clock
//    (`x-lh-clock`, epoch ms): the Node clock never lags it. A call may not take the clock past
//    its budget (`x-lh-budget`, ms): the preload reports `budget` instead of advancing further.
// 5. Turns of overlapping calls (harness.targets.node.overlap): requests to the served platform
//    API carry the call id too, and while calls overlap a call with no request of its own open
//    whose clock cannot move (another call's request is held at a fake) is reported `idle` once:
//    it waits for a timer (or for another call), so the harness hands the turn on.
const fs = require('node:fs')
const net = require('node:net')
const tls = require('node:tls')
const http = require('node:http')
const https = require('node:https')
const dc = require('node:diagnostics_channel')
const { AsyncLocalStorage } = require('node:async_hooks')
const util = require('node:util')

const CONTROL_FD = Number(process.env.LH_CONTROL_FD || 3)
const RULES = JSON.parse(process.env.LH_REDIRECT || '[]')
const CA = process.env.LH_CA_FILE ? fs.readFileSync(process.env.LH_CA_FILE, 'utf8') : undefined
const CALL_HEADER = 'x-lh-call-id'
const als = new AsyncLocalStorage()
const realSetTimeout = globalThis.setTimeout
const realClearTimeout = globalThis.clearTimeout
const realDateNow = Date.now
// The served platform API (BP_API_URL): its requests carry the call id, as the fake's do.
let API_HOST = null
try {
  API_HOST = process.env.BP_API_URL ? new URL(process.env.BP_API_URL).host.toLowerCase() : null
} catch {}

let controlOk = true
const emit = (record, call) => {
  const store = als.getStore()
  const tagged = { call: call !== undefined ? call : store ? store.call : null, ...record }
  const line = JSON.stringify(tagged) + '\n'
  if (controlOk) {
    try {
      fs.writeSync(CONTROL_FD, line)
      return
    } catch {
      controlOk = false
    }
  }
  process.stderr.write('[lifecycle-harness] ' + line)
}
globalThis.__lhEmit = emit

// ---------------------------------------------------------------- redirection
const isLoopback = (h) =>
  h === 'localhost' || h === '::1' || h === '[::1]' || /^127\./.test(h)

const route = (host) => {
  host = String(host || 'localhost').toLowerCase().replace(/\.$/, '').replace(/:\d+$/, '')
  for (const r of RULES) {
    if (host.endsWith(r.suffix) || host === r.suffix.replace(/^\./, '')) {
      return { kind: 'redirect', host: '127.0.0.1', port: r.port }
    }
  }
  if (isLoopback(host)) return { kind: 'pass' }
  return { kind: 'block' }
}

const refused = (host, port, via) => {
  emit({ type: 'blocked', host: String(host), port: Number(port) || null, via })
  const sock = new net.Socket()
  const err = Object.assign(
    new Error(`connect ECONNREFUSED ${host}:${port} (lifecycle-harness: no fake serves this host; the connection was not made)`),
    { code: 'ECONNREFUSED', errno: -111, syscall: 'connect', address: host, port },
  )
  process.nextTick(() => sock.destroy(err))
  return sock
}

// (options[, cb]) | (port[, host][, options][, cb]) | (path[, options][, cb]) -> [options, cb]
const normalize = (args) => {
  if (Array.isArray(args[0])) args = args[0] // net internals pass normalized arrays
  let i = 0
  let opts = {}
  if (args[0] !== null && typeof args[0] === 'object') {
    opts = { ...args[0] }
    i = 1
  } else if (typeof args[0] === 'number' || /^\d+$/.test(String(args[0]))) {
    opts.port = Number(args[0])
    i = 1
    if (typeof args[1] === 'string') {
      opts.host = args[1]
      i = 2
    }
  } else if (typeof args[0] === 'string') {
    opts.path = args[0]
    i = 1
  }
  if (args[i] !== null && typeof args[i] === 'object') {
    opts = { ...args[i], ...opts }
    i++
  }
  const cb = typeof args[i] === 'function' ? args[i] : undefined
  return [opts, cb]
}

const origTlsConnect = tls.connect
tls.connect = function lhTlsConnect(...args) {
  const [opts, cb] = normalize(args)
  if (opts.socket || opts.path) return origTlsConnect.apply(this, args) // upgrade of an existing socket
  const host = opts.host || opts.hostname || 'localhost'
  const r = route(host)
  if (r.kind === 'pass') return origTlsConnect.apply(this, args)
  if (r.kind === 'block') return refused(host, opts.port || 443, 'tls.connect')
  const redirected = { ...opts, host: r.host, port: r.port, servername: opts.servername || host, ca: CA }
  delete redirected.hostname
  delete redirected.lookup
  return origTlsConnect.call(this, redirected, cb)
}

const wrapNet = (orig, via) =>
  function lhNetConnect(...args) {
    const [opts, cb] = normalize(args)
    if (opts.path) return orig.apply(this, args)
    const host = opts.host || opts.hostname || 'localhost'
    const r = route(host)
    if (r.kind === 'pass') return orig.apply(this, args)
    if (r.kind === 'block') return refused(host, opts.port || 80, via)
    // Plain http to a redirected host: the fake serves TLS only, so refuse it loudly.
    return refused(host, opts.port || 80, `${via} (plain http to a TLS-only host)`)
  }
const origNetConnect = net.connect
const origNetCreateConnection = net.createConnection
net.connect = wrapNet(origNetConnect, 'net.connect')
net.createConnection = wrapNet(origNetCreateConnection, 'net.createConnection')
// http.Agent captured net.createConnection when node:http loaded (before this preload ran).
if (http.Agent.prototype.createConnection === origNetCreateConnection) {
  http.Agent.prototype.createConnection = net.createConnection
}

// Outbound requests to redirected hosts carry the call id (core http/https; undici below).
const origImplicitHeader = http.ClientRequest.prototype._implicitHeader
http.ClientRequest.prototype._implicitHeader = function lhImplicitHeader() {
  const store = als.getStore()
  const attributed =
    route(this.host).kind === 'redirect' ||
    (API_HOST !== null && String(this.getHeader('host') || '').toLowerCase() === API_HOST)
  if (store && store.call && !this.headersSent && attributed) {
    try {
      if (!this.getHeader(CALL_HEADER)) this.setHeader(CALL_HEADER, store.call)
    } catch {}
  }
  return origImplicitHeader.call(this)
}

// ---------------------------------------------------------------- outbound in flight
// Counted from the request's creation (libraries arm their timeouts right after it, before the
// request is finished) to its close: while any is open, virtual time waits for the answer.
// Each is also counted for the call that made it (the turns of overlapping calls, below).
let outbound = 0
const outboundOf = new Map() // call id -> its open outbound requests
const activityOf = new Map() // call id -> requests it opened or closed so far
const currentCall = () => {
  const store = als.getStore()
  return store && store.call ? store.call : null
}
const opened = (call) => {
  outbound++
  if (call === null) return
  outboundOf.set(call, (outboundOf.get(call) || 0) + 1)
  activityOf.set(call, (activityOf.get(call) || 0) + 1)
  idleSent.delete(call)
}
const closed = (call) => {
  outbound--
  if (call !== null && outboundOf.has(call)) {
    const left = outboundOf.get(call) - 1
    if (left > 0 || calls.has(call)) {
      outboundOf.set(call, left)
      activityOf.set(call, (activityOf.get(call) || 0) + 1)
    } else {
      outboundOf.delete(call) // a request of a call that has ended
      activityOf.delete(call)
    }
  }
  kick()
}
const tracked = new WeakSet()
const track = (request) => {
  if (!request || tracked.has(request) || typeof request.once !== 'function') return request
  tracked.add(request)
  const call = currentCall()
  opened(call)
  request.once('close', () => closed(call))
  return request
}
for (const mod of [http, https]) {
  for (const name of ['request', 'get']) {
    const orig = mod[name]
    mod[name] = function lhRequest(...args) {
      return track(orig.apply(this, args))
    }
  }
}
dc.subscribe('http.client.request.start', ({ request }) => track(request))
// ESM named imports of builtins are snapshots: refresh them.
require('node:module').syncBuiltinESMExports()
const undiciOpen = new WeakMap() // request -> the call that made it
const undiciDone = (request) => {
  if (undiciOpen.has(request)) {
    const call = undiciOpen.get(request)
    undiciOpen.delete(request)
    closed(call)
  }
}
dc.subscribe('undici:request:create', ({ request }) => {
  const call = currentCall()
  let host = ''
  let origin = ''
  try {
    const url = new URL(request.origin)
    host = url.hostname
    origin = url.host.toLowerCase()
  } catch {}
  if (call !== null && (route(host).kind === 'redirect' || origin === API_HOST)) {
    request.addHeader(CALL_HEADER, String(call))
  }
  undiciOpen.set(request, call)
  opened(call)
})
dc.subscribe('undici:request:trailers', ({ request }) => undiciDone(request))
dc.subscribe('undici:request:error', ({ request }) => undiciDone(request))

// ---------------------------------------------------------------- virtual time
let clock = null
const calls = new Map() // call id -> {deadline: virtual ms or null}
let stalledFor = null
if (process.env.LH_FAKE_TIMERS === '1') {
  const FakeTimers = require(process.env.LH_FAKE_TIMERS_MODULE || '@sinonjs/fake-timers')
  clock = FakeTimers.install({
    now: Number(process.env.LH_CLOCK || realDateNow()),
    toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
    shouldClearNativeTimers: true,
  })
  // A timer armed during a call is looked at at once (not at the next poll).
  for (const name of ['setTimeout', 'setInterval']) {
    const fake = globalThis[name]
    const wrapped = function (...args) {
      const timer = fake.apply(this, args)
      kick()
      return timer
    }
    Object.defineProperties(wrapped, Object.getOwnPropertyDescriptors(fake))
    globalThis[name] = wrapped
  }
}
let kickPending = false
// Jump to the next timer when only timers can make progress: a call is in flight, no outbound
// request is pending, and the event loop has drained what I/O was ready (a few real ticks).
function kick() {
  if (!clock || kickPending || calls.size === 0) return
  kickPending = true
  // Two turns of the event loop: I/O that is ready and the promise chains it starts go first.
  setImmediate(() => setImmediate(advance))
}
function advance() {
  kickPending = false
  if (!clock || calls.size === 0) return
  if (outbound > 0) {
    // A request's answer (or its own timeout) comes first.
    if (calls.size > 1) reportIdle()
    return
  }
  const next = clock.countTimers() > 0 ? nextTimerAt() : null
  if (next === null) return
  const limit = Math.min(...[...calls.values()].map((c) => (c.deadline === null ? Infinity : c.deadline)))
  if (next > limit) {
    for (const [id, c] of calls) {
      if (c.deadline !== null && next > c.deadline && stalledFor !== id) {
        stalledFor = id
        emit({ type: 'budget', now: clock.now, next }, id)
      }
    }
    return
  }
  clock.next()
  kick()
}
// Overlapping calls take turns (the harness holds every call's request at the fakes but the
// running one's): a call with no request of its own open while another's is held can only be
// waiting for a timer (which cannot fire: the clock waits for the held request) or for another
// call. It is reported `idle` once, after it stayed so for IDLE_CONFIRM_MS of real time with no
// request opened or closed (a response's continuation that has not yet sent its next request
// is not idle), and the harness hands the turn on as for a sleeping hook.
const IDLE_CONFIRM_MS = 10
const idleSince = new Map() // call id -> [activity, real ms] when first seen idle
const idleSent = new Set()
function reportIdle() {
  const now = realDateNow()
  for (const id of calls.keys()) {
    if ((outboundOf.get(id) || 0) > 0 || idleSent.has(id)) {
      idleSince.delete(id)
      continue
    }
    const activity = activityOf.get(id) || 0
    const seen = idleSince.get(id)
    if (seen === undefined || seen[0] !== activity) {
      idleSince.set(id, [activity, now])
    } else if (now - seen[1] >= IDLE_CONFIRM_MS) {
      idleSince.delete(id)
      idleSent.add(id)
      emit({ type: 'idle', now: clock ? clock.now : null }, id)
    }
  }
}
function nextTimerAt() {
  // fake-timers keeps its timers on clock.timers: {id: {callAt, ...}}
  let best = null
  for (const t of Object.values(clock.timers || {})) {
    if (best === null || t.callAt < best) best = t.callAt
  }
  return best
}
// Poll while calls are in flight (the cheap path: kick() after each outbound request ends); an
// idle process (a spare, or between calls) does not wake up at all.
let polling = false
function poll() {
  if (!clock || calls.size === 0) {
    polling = false
    return
  }
  kick()
  realSetTimeout(poll, 5).unref()
}
function startPolling() {
  if (polling || !clock) return
  polling = true
  realSetTimeout(poll, 5).unref()
}

// ---------------------------------------------------------------- call context + logs
const origCreateServer = http.createServer
http.createServer = function lhCreateServer(...args) {
  const i = args.findIndex((a) => typeof a === 'function')
  if (i >= 0) {
    const listener = args[i]
    args[i] = function (req, res) {
      const call = req.headers[CALL_HEADER] || null
      if (call === null) return listener.call(this, req, res)
      if (clock) {
        // The harness's clock: taken as it is when no other call is in flight (a new lifecycle
        // may start earlier than the last one ended), never moved back under a running call.
        const harnessNow = Number(req.headers['x-lh-clock'])
        if (Number.isFinite(harnessNow) && (calls.size === 0 || harnessNow > clock.now)) clock.setSystemTime(harnessNow)
        const budget = Number(req.headers['x-lh-budget'])
        calls.set(call, { deadline: Number.isFinite(budget) && budget >= 0 ? clock.now + budget : null })
        startPolling()
      }
      const start = clock ? clock.now : realDateNow()
      res.once('close', () => {
        calls.delete(call)
        outboundOf.delete(call)
        activityOf.delete(call)
        idleSince.delete(call)
        idleSent.delete(call)
        if (stalledFor === call) stalledFor = null
        const now = clock ? clock.now : realDateNow()
        emit({ type: 'end', status: res.statusCode, virtual_ms: clock ? now - start : null, now }, call)
      })
      return als.run({ call }, () => listener.call(this, req, res))
    }
  }
  return origCreateServer.apply(this, args)
}

const levels = { debug: 'debug', info: 'info', log: 'info', warn: 'warning', error: 'error' }
for (const method of Object.keys(levels)) {
  const orig = console[method].bind(console)
  console[method] = (...args) => {
    const text = util.format(...args)
    let structured = null
    if (text.startsWith('{')) {
      try {
        const parsed = JSON.parse(text) // BP_LOG_FORMAT=json: the SDK logger's records
        if (parsed && typeof parsed === 'object' && typeof parsed.msg === 'string') structured = parsed
      } catch {}
    }
    emit({ type: 'log', level: levels[method], text, structured })
    if (process.env.LH_PASSTHROUGH === '1') orig(...args)
  }
}

process.on('uncaughtException', (e) => {
  emit({ type: 'crash', kind: 'uncaughtException', text: util.inspect(e) })
  process.exit(70)
})
process.on('unhandledRejection', (e) => {
  emit({ type: 'log', level: 'error', text: `Unhandled promise rejection: ${util.inspect(e)}`, structured: null })
})
