import axios from 'axios'

export const register = async ({ client, ctx, logger, webhookUrl }) => {
  axios.defaults.baseURL = `https://${ctx.configuration.shopName}.myshopify.com`
  axios.defaults.headers['X-Shopify-Access-Token'] = ctx.configuration.access_token
  axios.defaults.headers['Content-Type'] = 'application/json'

  try {
    let response = await axios.get(
      `/admin/api/2023-07/webhooks.json?topic=orders/create&address=${webhookUrl}`
    )

    if (response.data.webhooks.length > 0) {
      logger
        .forBot()
        .info(
          `Shopify New Order Webhook was found with id ${response.data.webhooks[0].id} for Bot ${ctx.botId}. Webhook was not created`
        )
      return
    }

    response = await axios.post(`/admin/api/2023-07/webhooks.json`, {
      webhook: { topic: 'orders/create', address: webhookUrl, format: 'json' },
    })

    await client.setState({
      type: 'integration',
      name: 'configuration',
      id: ctx.integrationId,
      payload: { webhookId: response.data.webhook.id.toString() },
    })

    logger
      .forBot()
      .info(`Shopify New Order Webhook Created ${response.data.webhook.id} for Bot with Id ${ctx.botId}`)
  } catch (e) {
    logger.forBot().error(`'Shopify New Order Webhook Creation' exception ${JSON.stringify(e)}`)
  }
}

export const unregister = async ({ ctx }) => {
  axios.defaults.baseURL = `https://${ctx.configuration.shopName}.myshopify.com`
  axios.defaults.headers['X-Shopify-Access-Token'] = ctx.configuration.access_token
  axios.defaults.headers['Content-Type'] = 'application/json'

  // your code continues here...
}
