'use strict'
// The platform CLI's bundle step, without the CLI: esbuild of
//   import x from './<entry>'; export default x; export const handler = x.handler;
// for platform node, target es2020, CommonJS, keepNames, one file (as the platform bundles).
// When `.botpress` (the platform CLI's generated code) is missing, imports of it get a runtime
// stand-in: `Integration` is sdk.Integration and `secrets` reads SECRET_* from the environment
// (the generated code is types plus exactly these two at run time).
// Usage: node bundle.cjs '<json: {"dir", "entry", "outfile"}>'
// Prints one JSON line: {"ok": true, "outfile", "ms", "shim"} or {"ok": false, "errors": [...]}
const fs = require('node:fs')
const path = require('node:path')
const esbuild = require('esbuild')

const args = JSON.parse(process.argv[2])
const dir = path.resolve(args.dir)
const entry = './' + path.relative(dir, path.resolve(dir, args.entry)).replace(/\\/g, '/').replace(/\.(ts|tsx|js|mjs|cjs)$/, '')
const outfile = path.resolve(args.outfile)
const t0 = Date.now()
let usedShim = false

const SHIM = `import * as sdk from '@botpress/sdk'
export * from '@botpress/sdk'
export class Integration extends sdk.Integration {}
export const secrets = new Proxy({}, {
  get: (_t, name) => (typeof name === 'string' ? process.env['SECRET_' + name] : undefined),
})
`
const exists = (p) => ['', '.ts', '.js', '/index.ts', '/index.js', '/index.mjs', '/index.cjs'].some((s) => fs.existsSync(p + s) && (s !== '' || fs.statSync(p).isFile()))

const botpressStandIn = {
  name: 'botpress-generated-stand-in',
  setup(build) {
    build.onResolve({ filter: /(^|\/)\.botpress\/?$/ }, (a) => {
      const base = a.path.startsWith('.botpress') ? dir : a.resolveDir
      const target = path.resolve(base, a.path)
      if (exists(target)) return undefined // the CLI's generated code is there: use it
      usedShim = true
      return { path: 'botpress-stand-in', namespace: 'lh-botpress' }
    })
    build.onLoad({ filter: /.*/, namespace: 'lh-botpress' }, () => ({ contents: SHIM, loader: 'js', resolveDir: dir }))
  },
}

esbuild
  .build({
    stdin: {
      contents: `import x from '${entry}'; export default x; export const handler = x.handler;`,
      resolveDir: dir,
      loader: 'ts',
      sourcefile: 'lifecycle-harness-entry.ts',
    },
    absWorkingDir: dir,
    platform: 'node',
    target: 'es2020',
    format: 'cjs',
    bundle: true,
    keepNames: true,
    sourcemap: 'linked',
    outfile,
    logLevel: 'silent',
    legalComments: 'none',
    plugins: [botpressStandIn],
  })
  .then((result) => {
    const warnings = result.warnings.map((w) => esbuild.formatMessagesSync([w], { kind: 'warning' }).join(''))
    console.log(JSON.stringify({ ok: true, outfile, ms: Date.now() - t0, shim: usedShim, warnings }))
  })
  .catch((e) => {
    const errors = (e.errors || []).map((m) => esbuild.formatMessagesSync([m], { kind: 'error', color: false }).join('').trim())
    console.log(JSON.stringify({ ok: false, errors: errors.length ? errors : [String(e && e.stack || e)] }))
    process.exitCode = 1
  })
