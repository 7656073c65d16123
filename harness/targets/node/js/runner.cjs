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

let mod
try {
  mod = require(entry)
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
