// The platform's documented Shopify example, as it stands: the "Register and Unregister" page of
// the platform's docs (register verbatim; unregister as the page leaves it, "your code continues
// here..."), bundled and served unmodified. Its Python port is
// harness/examples/buggy/shopify_docs_port.py; the harness reports the same bugs for both:
// - axios.defaults is process-wide: overlapping calls of two bots send one bot's token to the
//   other's shop (tenant_isolation);
// - every exception is logged as JSON.stringify(e), whose config.headers carry the access token
//   (no_secret_leak);
// - a subscription that already exists returns before the state is written (convergent);
// - unregister deletes nothing (clean).
import * as bp from '.botpress'
import { register, unregister } from './setup'

export default new bp.Integration({
  register,
  unregister,
  actions: {},
  channels: {},
  handler: async () => {},
})
