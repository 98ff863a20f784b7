"""Make sure the Temporal server knows the search attributes our workflows set.

A workflow that sets an attribute the server does not know fails its workflow task again
and again, so the workers check before they run: the embedded dev server registers them at
start (`--search-attribute`), another server gets them here through the operator service,
and a server that refuses (no permission, Temporal Cloud) stops the workers with the command
to run instead.
"""

from __future__ import annotations

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from workflows.visibility import KEYS


class SearchAttributesError(Exception):
    pass


def create_command(namespace: str) -> str:
    names = " ".join(f"--name {key.name}" for key in KEYS)
    return (f"temporal operator search-attribute create --namespace {namespace} {names}"
            f" --type Keyword")


async def ensure_search_attributes(client: Client, namespace: str) -> None:
    known: set[str] | None = None
    try:
        listed = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=namespace))
        known = set(listed.custom_attributes) | set(listed.system_attributes)
    except RPCError as exc:
        if exc.status != RPCStatusCode.UNIMPLEMENTED:  # the time-skipping server lists none
            raise SearchAttributesError(f"cannot list the search attributes of namespace"
                                        f" {namespace}: {exc.message}") from None
    missing = [key.name for key in KEYS if known is None or key.name not in known]
    if not missing:
        return
    try:
        await client.operator_service.add_search_attributes(AddSearchAttributesRequest(
            namespace=namespace,
            search_attributes={name: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD
                               for name in missing}))
    except RPCError as exc:
        if exc.status == RPCStatusCode.ALREADY_EXISTS:
            return
        raise SearchAttributesError(
            f"the Temporal server lacks the search attributes {', '.join(missing)} and would"
            f" not add them ({exc.message}); run once: {create_command(namespace)}") from None
