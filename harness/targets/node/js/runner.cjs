'use strict'
// Serves an integration the way the platform's dev server does:
//   require(<bundle>).default.start(port)
// and reports {"type": "ready", "port": N} on the control descriptor once listening.
// Usage: node --require preload.cjs runner.cjs <bundle.cjs> [port]
const path = require('node:path')
const util = require('node:util')
const t0 = Date.now()
const entry = path.resolve(process.argv[2])
const port = Number(process.argv[3] || 0)
const emit = globalThis.__lhEmit

// With LH_CODE_CACHE, the bundle is compiled with V8's code cache kept beside it (a restart after
// a crash point then skips most of the compilation); without it, a plain require (which keeps
// --enable-source-maps working).
const load = (file) => {
  const cacheFile = process.env.LH_CODE_CACHE
  if (!cacheFile) return require(file)
  const fs = require('node:fs')
  const vm = require('node:vm')
  const Module = require('node:module')
  let cached
  try {
    cached = fs.readFileSync(cacheFile)
  } catch {}
  const script = new vm.Script(Module.wrap(fs.readFileSync(file, 'utf8')), { filename: file, cachedData: cached })
  const m = new Module(file, module)
  m.filename = file
  m.paths = Module._nodeModulePaths(path.dirname(file))
  const req = (id) => m.require(id)
  req.resolve = (id) => Module._resolveFilename(id, m)
  script.runInThisContext().call(m.exports, m.exports, req, m, file, path.dirname(file))
  m.loaded = true
  if (!cached || script.cachedDataRejected) {
    // After the module ran: the cache then holds the functions its start-up compiled too.
    try {
      const tmp = `${cacheFile}.${process.pid}`
      fs.writeFileSync(tmp, script.createCachedData())
      fs.renameSync(tmp, cacheFile)
    } catch {}
  }
  return m.exports
}

let mod
try {
  mod = load(entry)
} catch (e) {
  emit({ type: 'fatal', reason: 'load', text: `loading the bundle failed: ${util.inspect(e)}` })
  process.exit(78)
}
const integration = mod && mod.default
if (!integration || typeof integration.start !== 'function') {
  const found = mod ? Object.keys(mod).join(', ') || 'nothing' : 'nothing'
  emit({
    type: 'fatal',
    reason: 'export',
    text: `the entry's default export is not an integration (no .start(port)); found exports: ${found}; expected \`export default new bp.Integration({ register, unregister, ... })\``,
  })
  process.exit(78)
}
const loaded = Date.now()
Promise.resolve(integration.start(port)).then(
  (server) => {
    const ready = () =>
      emit({ type: 'ready', port: server.address().port, load_ms: loaded - t0, uptime_ms: Math.round(process.uptime() * 1000) })
    if (server.listening) ready()
    else server.once('listening', ready)
    server.on('error', (e) => {
      emit({ type: 'fatal', reason: 'listen', text: util.inspect(e) })
      process.exit(75)
    })
  },
  (e) => {
    emit({ type: 'fatal', reason: 'start', text: `integration.start() failed: ${util.inspect(e)}` })
    process.exit(75)
  },
)
process.on('SIGTERM', () => process.exit(0))
// The harness holds the other end of stdin: when it goes away (even killed), so does this process.
process.stdin.on('end', () => process.exit(0))
process.stdin.on('error', () => process.exit(0))
process.stdin.resume()
