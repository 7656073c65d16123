"""Tenants and initial worlds (docs/architecture.md).

``WorldSpec`` is plain data (scenario files carry it): the configuration template, the key
names of the shop handle and the access token in it, the shops with what they hold at the start
(other bots of the same app, other apps), and the bots under test. ``provision`` seeds a fresh
``FakeShopify`` with it and returns one ``Tenant`` per bot, with the configuration the platform
passes to that bot: the template with the shop handle and the token substituted.

Bots on the same shop share the app's installation, hence its access token (a custom app has one
Admin API token per shop); bots on different shops have different tokens.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fake_shopify import FakeShopify

DEFAULT_SHOP = "acme"
DEFAULT_APP = "lifecycle-harness"
WEBHOOK_BASE = "https://webhook.botpress.cloud"
CROWD_TOPICS = ("orders/create", "orders/cancelled", "customers/create", "products/update")
OTHER_APP_TOPICS = ("orders/create", "products/create", "app/uninstalled")


class WorldError(ValueError):
    """A world specification that cannot be provisioned (say what was found and expected)."""


_SHOP_HANDLE = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*")  # as the simulator routes hosts


def shop_handle_problem(value: object) -> str | None:
    """Why ``value`` is not a shop handle (``acme``), or ``None`` when it is one.

    A domain (``acme.myshopify.com``) is refused rather than normalised: the harness passes the
    configuration to the integration with its own handle there, so accepting a domain would
    change what the integration receives. The message says what to write instead.
    """
    if not isinstance(value, str):
        return f"expected a shop handle such as 'acme' (a string), got {value!r}"
    if _SHOP_HANDLE.fullmatch(value):
        return None
    if "." in value:
        first = value.split("//")[-1].split(".")[0]
        hint = f"; write {first!r}" if _SHOP_HANDLE.fullmatch(first) else ""
        return f"expected a shop handle, not a domain or URL, got {value!r}{hint}"
    return f"expected a shop handle (letters, digits and '-', e.g. 'acme'), got {value!r}"


def derived_token(shop: str, app: str, generation: int = 0) -> str:
    """A deterministic Admin API token for ``app`` on ``shop`` (no randomness in a run)."""
    digest = hashlib.sha256(f"{shop}\0{app}\0{generation}".encode()).hexdigest()
    return f"shpat_{digest[:32]}"


@dataclass(frozen=True)
class ShopSpec:
    """A shop at the start of a lifecycle.

    ``crowd``: subscriptions of other bots of the same app (the list endpoint pages at 50 by
    default, 250 at most, so a few hundred spans several pages). ``other_apps``: subscriptions
    of other apps, invisible to ours.
    """

    handle: str
    crowd: int = 0
    other_apps: int = 0


@dataclass(frozen=True)
class BotSpec:
    """A bot under test (a tenant) and the shop its configuration names."""

    name: str
    shop: str


@dataclass(frozen=True)
class WorldSpec:
    """Everything needed to build the initial world of a lifecycle."""

    configuration: tuple[tuple[str, object], ...] = ()
    shops: tuple[ShopSpec, ...] = (ShopSpec(DEFAULT_SHOP),)
    bots: tuple[BotSpec, ...] = (BotSpec("bot1", DEFAULT_SHOP),)
    shop_key: str = "shopName"
    token_key: str = "access_token"
    app: str = DEFAULT_APP

    def __post_init__(self) -> None:
        handles = [s.handle for s in self.shops]
        if len(set(handles)) != len(handles):
            raise WorldError(f"duplicate shop handles: {handles}")
        for bot in self.bots:
            if bot.shop not in handles:
                raise WorldError(f"bot {bot.name!r} names shop {bot.shop!r}; shops are {handles}")
        names = [b.name for b in self.bots]
        if not names or len(set(names)) != len(names):
            raise WorldError(f"bots need distinct names, found {names}")

    @property
    def template(self) -> dict[str, object]:
        return dict(self.configuration)

    @property
    def bot_names(self) -> tuple[str, ...]:
        return tuple(b.name for b in self.bots)


def default_world(
    configuration: Mapping[str, object] | None = None,
    *,
    bots: int = 1,
    shops: int = 1,
    crowd: int = 0,
    other_apps: int = 0,
    shop_key: str = "shopName",
    token_key: str = "access_token",
) -> WorldSpec:
    """A world from a configuration: ``bots`` bots spread round-robin over ``shops`` shops.

    The first shop is the configuration's own (``shopName``, ``acme`` if absent); more shops are
    derived from it (``acme-2``...). ``crowd`` and ``other_apps`` seed the first shop.
    """
    if bots < 1 or shops < 1:
        raise WorldError(f"a world needs at least one bot and one shop, got {bots=} {shops=}")
    template = dict(configuration or {})
    base = template.get(shop_key)
    if base is None:
        base = DEFAULT_SHOP
    problem = shop_handle_problem(base)
    if problem is not None:
        raise WorldError(f"configuration key {shop_key!r}: {problem}")
    assert isinstance(base, str)
    template[shop_key] = base
    handles = [base] + [f"{base}-{i}" for i in range(2, shops + 1)]
    shop_specs = tuple(
        ShopSpec(h, crowd=crowd if i == 0 else 0, other_apps=other_apps if i == 0 else 0)
        for i, h in enumerate(handles)
    )
    bot_specs = tuple(BotSpec(f"bot{i + 1}", handles[i % shops]) for i in range(bots))
    return WorldSpec(
        configuration=tuple(template.items()),
        shops=shop_specs,
        bots=bot_specs,
        shop_key=shop_key,
        token_key=token_key,
    )


@dataclass
class Tenant:
    """A bot under test as the platform sees it; ``configuration`` changes with ``configure``."""

    name: str
    bot_id: str
    bot_user_id: str
    integration_id: str
    integration_alias: str
    webhook_id: str
    shop: str
    token: str
    configuration: dict[str, object]
    past_shops: list[str] = field(default_factory=list)
    past_tokens: list[str] = field(default_factory=list)

    @property
    def webhook_url(self) -> str:
        return f"{WEBHOOK_BASE}/{self.webhook_id}"

    @property
    def shops(self) -> list[str]:
        """Every shop this bot's configuration has named, current last."""
        return [*self.past_shops, self.shop]

    @property
    def tokens(self) -> list[str]:
        return [*self.past_tokens, self.token]


def substitute(
    template: Mapping[str, object],
    *,
    shop_key: str,
    token_key: str,
    shop: str,
    token: str,
) -> dict[str, object]:
    """The configuration of one tenant: the template with its shop and token replaced.

    Other string values that mention the template's shop handle (``acme.myshopify.com``) follow
    the shop too, so derived tenants stay self-consistent.
    """
    base = template.get(shop_key)
    configuration: dict[str, object] = {}
    for key, value in template.items():
        if isinstance(value, str) and isinstance(base, str) and base and base in value:
            value = value.replace(base, shop)
        configuration[key] = value
    configuration[shop_key] = shop
    configuration[token_key] = token
    return configuration


def provision(fake: FakeShopify, spec: WorldSpec) -> list[Tenant]:
    """Seed ``fake`` with ``spec``'s shops, apps, tokens and foreign subscriptions."""
    template = spec.template
    app = fake.add_app(spec.app)
    tokens: dict[str, str] = {}
    base_shop = template.get(spec.shop_key)
    given_token = template.get(spec.token_key)
    for shop_spec in spec.shops:
        shop = fake.add_shop(shop_spec.handle)
        # The configuration's own token is used for its own shop, so a user's config works as is.
        if shop_spec.handle == base_shop and isinstance(given_token, str) and given_token:
            token = given_token
        else:
            token = derived_token(shop_spec.handle, spec.app)
        fake.install(shop, app, token=token)
        tokens[shop_spec.handle] = token
        for i in range(shop_spec.crowd):
            # Other bots of the same app: a few subscriptions each, at their own webhook URLs.
            fake.add_webhook(
                shop,
                app,
                topic=CROWD_TOPICS[i % len(CROWD_TOPICS)],
                address=f"{WEBHOOK_BASE}/crowd-{i // len(CROWD_TOPICS)}",
            )
        if shop_spec.other_apps:
            other_name = f"other-app-{shop_spec.handle}"
            other = fake.add_app(other_name)
            fake.install(shop, other, token=derived_token(shop_spec.handle, other_name))
            for i in range(shop_spec.other_apps):
                fake.add_webhook(
                    shop,
                    other,
                    topic=OTHER_APP_TOPICS[i % len(OTHER_APP_TOPICS)],
                    address=f"https://other-app.example/hooks/{i // len(OTHER_APP_TOPICS)}",
                )
    tenants = []
    for bot in spec.bots:
        token = tokens[bot.shop]
        tenants.append(
            Tenant(
                name=bot.name,
                bot_id=f"{bot.name}-id",
                bot_user_id=f"{bot.name}-user",
                integration_id=f"{bot.name}-integration",
                integration_alias="shopify",
                webhook_id=f"{bot.name}-webhook",
                shop=bot.shop,
                token=token,
                configuration=substitute(
                    template,
                    shop_key=spec.shop_key,
                    token_key=spec.token_key,
                    shop=bot.shop,
                    token=token,
                ),
            )
        )
    return tenants
