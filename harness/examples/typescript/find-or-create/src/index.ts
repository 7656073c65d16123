// A correct Shopify integration on @botpress/sdk with global fetch: find-or-create.
// No platform state: Shopify itself is the record of what exists, so lost state cannot hurt.
// - register lists webhooks.json?topic=T&address=URL for each topic (every page of the Link
//   header) and creates the subscription only when none is found; a 422 "already been taken"
//   (a concurrent call of the same bot won the race) is confirmed by listing again;
// - unregister lists webhooks.json?address=URL and deletes exactly those (other bots use other
//   addresses); a 404 on delete means already gone and is logged at warning level;
// - a 429 is retried after Retry-After; any other failure throws sdk.RuntimeError naming the
//   request and Shopify's answer, never the access token;
// - the token and shop are read from this call's configuration: nothing is shared between calls.
import * as sdk from '@botpress/sdk'

const API_VERSION = '2025-10'
const TOPICS = ['orders/create', 'orders/cancelled', 'customers/create']
const MAX_ATTEMPTS = 5
const PAGE_SIZE = 250

type Webhook = { id: number; topic: string; address: string }
type Shop = { base: string; token: string }

const shopOf = (configuration: Record<string, unknown>): Shop => {
  const shop = configuration.shopName
  const token = configuration.access_token
  if (!shop || !token) {
    throw new sdk.RuntimeError('Missing Shopify configuration: shopName and access_token are required')
  }
  return { base: `https://${shop}.myshopify.com/admin/api/${API_VERSION}/`, token: String(token) }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const send = async (shop: Shop, method: string, url: string, body?: unknown): Promise<Response> => {
  const target = new URL(url, shop.base)
  for (let attempt = 1; ; attempt++) {
    let response: Response
    try {
      response = await fetch(target, {
        method,
        headers: { 'X-Shopify-Access-Token': shop.token, 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      })
    } catch (e) {
      // The message names the request, not its headers: the token stays out of the logs.
      throw new sdk.RuntimeError(`Could not reach Shopify for ${method} ${target.pathname}: ${(e as Error).name}`)
    }
    if (response.status !== 429 || attempt === MAX_ATTEMPTS) return response
    const wait = Number(response.headers.get('Retry-After') ?? '2')
    await response.arrayBuffer()
    await sleep((Number.isFinite(wait) && wait >= 0 ? wait : 2) * 1000)
  }
}

const failure = async (method: string, url: string, response: Response) =>
  new sdk.RuntimeError(
    `Shopify answered ${response.status} to ${method} ${new URL(url).pathname}: ${(await response.text()).slice(0, 300)}`
  )

const nextLink = (response: Response): string | undefined => {
  const link = response.headers.get('Link') ?? ''
  for (const part of link.split(',')) {
    const match = part.match(/<([^>]+)>\s*;\s*rel="?next"?/)
    if (match) return match[1]
  }
  return undefined
}

const listWebhooks = async (shop: Shop, filters: Record<string, string>): Promise<Webhook[]> => {
  const found: Webhook[] = []
  let url: string | undefined = `webhooks.json?${new URLSearchParams({ ...filters, limit: String(PAGE_SIZE) })}`
  while (url) {
    const response = await send(shop, 'GET', url)
    if (response.status !== 200) throw await failure('GET', response.url || new URL(url, shop.base).href, response)
    const data = (await response.json()) as { webhooks: Webhook[] }
    // Shopify's filters are exact; checking again keeps another bot's subscriptions safe.
    found.push(...data.webhooks.filter((h) => Object.entries(filters).every(([k, v]) => (h as any)[k] === v)))
    url = nextLink(response)
  }
  return found
}

const createWebhook = async (shop: Shop, topic: string, address: string): Promise<void> => {
  const url = new URL('webhooks.json', shop.base).href
  const response = await send(shop, 'POST', url, { webhook: { topic, address, format: 'json' } })
  if (response.status === 201) {
    await response.arrayBuffer()
    return
  }
  const text = await response.text()
  if (response.status === 422 && text.includes('already been taken')) {
    if ((await listWebhooks(shop, { topic, address })).length > 0) return
  }
  throw new sdk.RuntimeError(`Shopify answered ${response.status} to POST ${new URL(url).pathname}: ${text.slice(0, 300)}`)
}

const deleteWebhook = async (shop: Shop, logger: any, id: number): Promise<void> => {
  const url = new URL(`webhooks/${id}.json`, shop.base).href
  const response = await send(shop, 'DELETE', url)
  if (response.status === 404) {
    await response.arrayBuffer()
    logger.forBot().warn(`Shopify webhook ${id} was already deleted`)
    return
  }
  if (response.status !== 200) throw await failure('DELETE', url, response)
  await response.arrayBuffer()
}

export default new sdk.Integration({
  register: async ({ ctx, logger, webhookUrl }) => {
    const shop = shopOf(ctx.configuration)
    for (const topic of TOPICS) {
      if ((await listWebhooks(shop, { topic, address: webhookUrl })).length > 0) continue
      await createWebhook(shop, topic, webhookUrl)
      logger.forBot().info(`Subscribed ${webhookUrl} to Shopify ${topic}`)
    }
  },
  unregister: async ({ ctx, logger, webhookUrl }) => {
    const shop = shopOf(ctx.configuration)
    for (const hook of await listWebhooks(shop, { address: webhookUrl })) {
      await deleteWebhook(shop, logger, hook.id)
    }
  },
  actions: {},
  channels: {},
  handler: async () => {},
})
