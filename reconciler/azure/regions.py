"""The subscription's own region list (`GET /subscriptions/{id}/locations`): the truth once a plan reaches Azure.

Read only when the manifests name a region the bundled table does not know (early-access regions, new
ones), so a plan of well-known regions costs no extra request. Sent through azure-mgmt-resource's
pipeline (`send_request`), with its credential, retries and transport.
"""

from __future__ import annotations

from reconciler.azure.session import Clients
from reconciler.core.regions import fold_region

LOCATIONS_API_VERSION = "2022-12-01"


async def subscription_regions(clients: Clients, subscription_id: str) -> set[str]:
    """Folded names of every region the subscription lists, EUAP regions included."""
    from azure.core.exceptions import HttpResponseError
    from azure.core.rest import HttpRequest

    url = f"/subscriptions/{subscription_id}/locations?api-version={LOCATIONS_API_VERSION}"
    found: set[str] = set()
    while url:
        response = await clients.resources.send_request(HttpRequest("GET", url))
        if response.status_code != 200:
            raise HttpResponseError(response=response)
        page = response.json()
        found.update(fold_region(item["name"]) for item in page.get("value") or [] if isinstance(item, dict))
        url = page.get("nextLink") or ""
    return found
