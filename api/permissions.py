"""Permissions of a signed request's key: read-only and party-limited keys.

A read-only key may send GET requests and POST to the query endpoints in
READ_ENDPOINTS. A party-limited key (``party_ids`` set) may call only the
endpoints in PARTY_RULES, and each rule checks the fields of the request body
that name a job, a party or a table. Any other endpoint, including one added
later, is forbidden to such keys until it gets a rule.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from flask import request

from fate_lineage.api.schemas import parse_json
from fate_lineage.errors import Forbidden

if TYPE_CHECKING:
    from fate_lineage.api.app import Backends
    from fate_lineage.conf import ApiClient

READ_ENDPOINTS = frozenset(
    {
        "/v1/table/table_info",
        "/v1/table/tracking/source",
        "/v1/table/tracking/job",
        "/v1/table/lineage",
        "/v1/table/jobs",
        "/v1/table/list",
        "/v1/job/query",
        "/v1/resource/query",
        "/v1/tracking/component/output/data/table",
        "/v1/dependency/query",
        "/v1/dependency/check",
    }
)
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# FATE Flow names an output table's namespace output_data_<job_id>_<component>_<n>.
OUTPUT_NAMESPACE_PREFIX = "output_data_"
# Job ids tried per output namespace; FATE's job ids have no underscore.
MAX_JOB_ID_CANDIDATES = 8

Check = Callable[["_Scope", dict[str, Any]], None]


def authorise(client: ApiClient, method: str, path: str, backends: Backends) -> None:
    """Raise Forbidden unless ``client`` may send ``method`` to ``path``."""
    if client.read_only and method not in READ_METHODS and path not in READ_ENDPOINTS:
        raise Forbidden(
            f"APP_KEY {client.app_key!r} is read-only and may not call {path}; "
            "use a key without read_only for changes",
            details={"app_key": client.app_key, "path": path},
        )
    if not client.party_limited:
        return
    rule = PARTY_RULES.get(path)
    if rule is None:
        raise Forbidden(
            f"APP_KEY {client.app_key!r} is limited to party "
            f"{', '.join(client.party_ids)} and may not call {path}, which is "
            "not limited to one party's jobs and tables; docs/security.md lists "
            "the endpoints such a key may call",
            details={"app_key": client.app_key, "path": path},
        )
    scope = _Scope(client, backends)
    body = _body_object()
    for check in rule:
        check(scope, body)


class _Scope:
    """The parties and table namespaces of one key, with job lookups cached."""

    def __init__(self, client: ApiClient, backends: Backends) -> None:
        self.client = client
        self.backends = backends
        self._jobs: dict[str, bool] = {}

    @property
    def parties(self) -> str:
        return ", ".join(self.client.party_ids)

    def owns_job(self, job_id: str) -> bool:
        """Tell whether the job exists and one of its parties is the key's."""
        if job_id not in self._jobs:
            job = self.backends.recorder.repository.find_job(job_id)
            self._jobs[job_id] = job is not None and bool(
                _job_parties(job) & set(self.client.party_ids)
            )
        return self._jobs[job_id]

    def owns_namespace(self, namespace: str) -> bool:
        """Tell whether a table namespace (or a prefix of some) is the key's.

        It is when it starts with one of the key's table_namespaces, or when
        it is an output namespace of one of the key's parties' jobs.
        """
        if namespace.startswith(self.client.table_namespaces):
            return True
        if not namespace.startswith(OUTPUT_NAMESPACE_PREFIX):
            return False
        rest = namespace[len(OUTPUT_NAMESPACE_PREFIX) :]
        return any(self.owns_job(job_id) for job_id in _job_id_candidates(rest))

    def forbid(self, what: str) -> Forbidden:
        return Forbidden(
            f"APP_KEY {self.client.app_key!r} is limited to party {self.parties}, "
            f"and {what}",
            details={
                "app_key": self.client.app_key,
                "party_ids": self.client.party_ids,
            },
        )


def _job_id_candidates(rest: str) -> Iterator[str]:
    """Yield each text before an underscore of ``rest``, shortest first.

    NOTE: a job id with underscores makes the split ambiguous, so an output
    namespace counts as the key's when any candidate is one of its jobs.
    """
    ends = [i for i, char in enumerate(rest) if char == "_"][:MAX_JOB_ID_CANDIDATES]
    for end in ends:
        yield rest[:end]


def _job_parties(job: dict[str, Any]) -> set[str]:
    roles = json.loads(job.get("roles") or "{}")
    return {str(party) for parties in roles.values() for party in parties}


def _body_object() -> dict[str, Any]:
    """Return the request's JSON object, parsed as the endpoints parse it.

    Invalid JSON raises InvalidInput (400); a body that is not an object
    counts as empty, so the checks reject it.
    """
    body = parse_json(request.get_data(cache=True) or b"{}")
    return body if isinstance(body, dict) else {}


def _text(body: dict[str, Any], field: str) -> str | None:
    value = body.get(field)
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    return str(value)


def _check_job(scope: _Scope, body: dict[str, Any]) -> None:
    job_id = _text(body, "job_id")
    if job_id is None:
        raise scope.forbid("this request must name its job in job_id")
    if not scope.owns_job(job_id):
        raise scope.forbid(
            f"job {job_id!r} is not found among that party's jobs; ask a key "
            "of one of the job's parties"
        )


def _check_party(scope: _Scope, body: dict[str, Any]) -> None:
    party_id = _text(body, "party_id")
    if party_id not in scope.client.party_ids:
        raise scope.forbid(f"party_id {party_id!r} is another party")


def _check_namespace(scope: _Scope, body: dict[str, Any]) -> None:
    namespace = _text(body, "namespace")
    if namespace is None or not scope.owns_namespace(namespace):
        raise scope.forbid(_namespace_problem("namespace", namespace, scope))


def _check_namespace_prefix(scope: _Scope, body: dict[str, Any]) -> None:
    prefix = _text(body, "namespace_prefix")
    if prefix is None or not scope.owns_namespace(prefix):
        raise scope.forbid(_namespace_problem("namespace_prefix", prefix, scope))


def _namespace_problem(field: str, value: str | None, scope: _Scope) -> str:
    allowed = ", ".join(scope.client.table_namespaces) or "none"
    return (
        f"{field} {value!r} is not one of its table namespaces (prefixes: "
        f"{allowed}) nor an output namespace of its jobs"
    )


def _check_initiator(scope: _Scope, body: dict[str, Any]) -> None:
    conf = body.get("runtime_conf")
    initiator = conf.get("initiator") if isinstance(conf, dict) else None
    party_id = _text(initiator, "party_id") if isinstance(initiator, dict) else None
    if party_id not in scope.client.party_ids:
        raise scope.forbid(
            f"the job's initiator party, {party_id!r}, is another party; a key "
            "submits only jobs that its party initiates"
        )


_TABLE = (_check_namespace,)
_JOB = (_check_job,)
_TASK = (_check_job, _check_party)

PARTY_RULES: dict[str, tuple[Check, ...]] = {
    "/v1/data/upload": _TABLE,
    "/v1/table/bind": _TABLE,
    "/v1/table/table_info": _TABLE,
    "/v1/table/tracking/source": _TABLE,
    "/v1/table/tracking/job": _TABLE,
    "/v1/table/lineage": _TABLE,
    "/v1/table/jobs": _TABLE,
    "/v1/table/list": (_check_namespace_prefix,),
    "/v1/job/submit": (_check_initiator,),
    "/v1/job/query": _JOB,
    "/v1/job/update": _JOB,
    "/v1/job/stop": _JOB,
    "/v1/job/simulate": _JOB,
    "/v1/resource/apply": _JOB,
    "/v1/resource/return": _JOB,
    "/v1/resource/heartbeat": _JOB,
    "/v1/resource/task/apply": _TASK,
    "/v1/resource/task/return": _TASK,
    "/v1/tracking/component/output/data/report": _TASK,
    "/v1/tracking/component/output/data/table": _TASK,
    "/v1/dependency/query": (),
    "/v1/dependency/check": _JOB,
}
