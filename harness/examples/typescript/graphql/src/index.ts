// A correct Shopify integration on @botpress/sdk: reconcile the bot's subscriptions through the
// GraphQL Admin API (global fetch). No platform state: Shopify is the record of what exists.
// - register lists every subscription at the bot's webhookUrl (uri filter, all pages), keeps one
//   per wanted topic, deletes duplicates and topics no longer wanted, creates what is missing;
//   userErrors are failures, except "already been taken" (a concurrent register won the race),
//   which is confirmed by listing again;
// - unregister deletes every subscription at the webhookUrl; "does not exist" (already gone) is
//   logged at warning level;
// - THROTTLED is retried after the time the cost needs to restore, HTTP 429/5xx after
//   Retry-After; anything else throws sdk.RuntimeError naming the operation, never the token.
import * as sdk from '@botpress/sdk'

const API_VERSION = '2026-04'
const TOPICS = ['ORDERS_CREATE', 'ORDERS_PAID']
const MAX_ATTEMPTS = 4

const LIST = `query BotSubscriptions($uri: String!, $after: String) {
  webhookSubscriptions(first: 250, after: $after, uri: $uri) {
    nodes { id topic uri }
    pageInfo { hasNextPage endCursor }
  }
}`
const CREATE = `mutation BotSubscribe($topic: WebhookSubscriptionTopic!, $uri: String!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: {uri: $uri, format: JSON}) {
    webhookSubscription { id }
    userErrors { field message }
  }
}`
const DELETE = `mutation BotUnsubscribe($id: ID!) {
  webhookSubscriptionDelete(id: $id) {
    deletedWebhookSubscriptionId
    userErrors { field message }
  }
}`

type Sub = { id: string; topic: string; uri: string }
type Shop = { url: string; token: string }
type UserError = { field?: string[]; message: string }

const sleep = (seconds: number) => new Promise((resolve) => setTimeout(resolve, seconds * 1000))
const messages = (errors: { message?: string }[]) => errors.map((e) => String(e.message)).join('; ')

const shopOf = (configuration: Record<string, unknown>): Shop => {
  const shop = configuration.shopName
  const token = configuration.access_token
  if (!shop || !token) {
    throw new sdk.RuntimeError('Missing Shopify configuration: shopName and access_token are needed')
  }
  return { url: `https://${shop}.myshopify.com/admin/api/${API_VERSION}/graphql.json`, token: String(token) }
}

const graphql = async (shop: Shop, operation: string, query: string, variables: object): Promise<any> => {
  let status = 0
  let text = ''
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    let response: Response
    try {
      response = await fetch(shop.url, {
        method: 'POST',
        headers: { 'X-Shopify-Access-Token': shop.token, 'Content-Type': 'application/json' },
        body: JSON.stringify({ query, variables }),
      })
    } catch (e) {
      throw new sdk.RuntimeError(`Could not reach Shopify for ${operation}: ${(e as Error).name}`)
    }
    status = response.status
    text = await response.text()
    const last = attempt === MAX_ATTEMPTS
    if (status === 429 || status >= 500) {
      if (last) break
      const wait = Number(response.headers.get('Retry-After') ?? '1')
      await sleep(Number.isFinite(wait) && wait >= 0 ? wait : 1)
      continue
    }
    if (status !== 200) break
    const body = JSON.parse(text)
    const errors = body.errors as { message?: string; extensions?: { code?: string } }[] | undefined
    if (errors?.length && errors[0].extensions?.code === 'THROTTLED' && !last) {
      const cost = body.extensions?.cost ?? {}
      const throttle = cost.throttleStatus ?? {}
      const missing = Number(cost.requestedQueryCost ?? 0) - Number(throttle.currentlyAvailable ?? 0)
      const rate = Number(throttle.restoreRate ?? 50) || 50
      await sleep(Math.max(missing / rate, 0) + 0.1)
      continue
    }
    if (errors?.length) throw new sdk.RuntimeError(`Shopify GraphQL ${operation} failed: ${messages(errors)}`)
    return body.data
  }
  throw new sdk.RuntimeError(`Shopify answered ${status} to GraphQL ${operation}: ${text.slice(0, 300)}`)
}

const mine = async (shop: Shop, webhookUrl: string): Promise<Sub[]> => {
  const found: Sub[] = []
  let after: string | null = null
  for (;;) {
    const data = await graphql(shop, 'BotSubscriptions', LIST, { uri: webhookUrl, after })
    const page = data.webhookSubscriptions
    // The uri filter is exact on Shopify; checking again keeps other bots' rows safe.
    found.push(...page.nodes.filter((n: Sub) => n.uri === webhookUrl))
    if (!page.pageInfo.hasNextPage) return found
    after = page.pageInfo.endCursor
  }
}

const create = async (shop: Shop, topic: string, webhookUrl: string): Promise<void> => {
  const data = await graphql(shop, 'BotSubscribe', CREATE, { topic, uri: webhookUrl })
  const errors: UserError[] = data.webhookSubscriptionCreate.userErrors
  if (!errors.length) return
  const taken = errors.some((e) => e.message.includes('already been taken'))
  if (taken && (await mine(shop, webhookUrl)).some((s) => s.topic === topic)) return
  throw new sdk.RuntimeError(`Shopify refused to subscribe ${topic}: ${messages(errors)}`)
}

const remove = async (shop: Shop, id: string, logger: any): Promise<void> => {
  const data = await graphql(shop, 'BotUnsubscribe', DELETE, { id })
  const errors: UserError[] = data.webhookSubscriptionDelete.userErrors
  if (!errors.length) return
  if (errors.every((e) => e.message.includes('does not exist'))) {
    logger.forBot().warn(`Shopify webhook subscription ${id} was already deleted`)
    return
  }
  throw new sdk.RuntimeError(`Shopify refused to delete ${id}: ${messages(errors)}`)
}

export default new sdk.Integration({
  register: async ({ ctx, logger, webhookUrl }) => {
    const shop = shopOf(ctx.configuration)
    const kept = new Set<string>()
    for (const sub of await mine(shop, webhookUrl)) {
      if (TOPICS.includes(sub.topic) && !kept.has(sub.topic)) {
        kept.add(sub.topic)
        continue
      }
      // A duplicate or a topic no longer wanted: one event must arrive exactly once.
      await remove(shop, sub.id, logger)
    }
    for (const topic of TOPICS) {
      if (kept.has(topic)) continue
      await create(shop, topic, webhookUrl)
      logger.forBot().info(`Subscribed ${webhookUrl} to Shopify ${topic}`)
    }
  },
  unregister: async ({ ctx, logger, webhookUrl }) => {
    const shop = shopOf(ctx.configuration)
    for (const sub of await mine(shop, webhookUrl)) await remove(shop, sub.id, logger)
  },
  actions: {},
  channels: {},
  handler: async () => {},
})
