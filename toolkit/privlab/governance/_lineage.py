"""Lineage as OpenLineage-shaped ``RunEvent`` JSON, built from a release manifest.

The manifest (from ``pv.anonymize``, ``pv.synthesize`` or a DP release) records
the input fingerprint, the recipe id, privlab's version and, per output column,
its source columns and the operations applied. :func:`openlineage_event` turns
it into the JSON shape OpenLineage consumers (Marquez, DataHub, …) ingest, with
the ``schema`` dataset facet and the ``columnLineage`` facet.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from privlab._version import __version__

__all__ = ["openlineage_event"]

_PRODUCER = f"https://github.com/privlab/privlab/tree/v{__version__}"
_SCHEMA_URL = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/definitions/RunEvent"
_NAMESPACE = "privlab"


def _facet(name: str) -> dict[str, str]:
    return {
        "_producer": _PRODUCER,
        "_schemaURL": f"https://openlineage.io/spec/facets/1-0-0/{name}.json",
    }


def openlineage_event(
    manifest: Mapping[str, Any],
    *,
    release_id: str | None = None,
    event_time: str | None = None,
) -> dict[str, Any]:
    """An OpenLineage ``RunEvent`` (eventType COMPLETE) describing one release.

    Parameters
    ----------
    manifest:
        A release manifest: ``kind``, ``dataset``, ``recipe_id``, per-column
        ``lineage`` (``{column: {"sources": [...], "operations": [...]}}``) and
        the ``schema`` of ``input_fingerprint`` / ``output_fingerprint``, each
        optional.
    release_id:
        Makes the run id reproducible (a UUID5 of it); default a random UUID.
    event_time:
        ISO 8601 time of the event; default now (UTC).

    Returns
    -------
    dict
        JSON-ready: ``eventType``, ``eventTime``, ``producer``, ``schemaURL``,
        ``run`` (with a ``privlab`` facet: recipe id, version, kind), ``job``,
        ``inputs`` and ``outputs`` (schema and ``columnLineage`` facets). A
        column whose lineage lists operations is ``MASKED``; one without is an
        ``IDENTITY`` copy.

    Examples
    --------
    >>> event = openlineage_event(
    ...     {"kind": "anonymized", "dataset": "patients", "recipe_id": "ab12",
    ...      "lineage": {"zip_code": {"sources": ["zip_code"], "operations": ["generalize"]}}},
    ...     release_id="r1", event_time="2026-01-01T00:00:00Z",
    ... )
    >>> event["eventType"], event["job"]["name"]
    ('COMPLETE', 'privlab.anonymized.patients')
    >>> event["outputs"][0]["facets"]["columnLineage"]["fields"]["zip_code"]["transformationType"]
    'MASKED'
    """
    import datetime as dt

    kind = str(manifest.get("kind", "release"))
    dataset = str(manifest.get("dataset", manifest.get("input", {}).get("name", "input")))
    lineage = manifest.get("lineage") or manifest.get("columns") or {}
    inputs_schema = (manifest.get("input_fingerprint") or {}).get("schema") or []
    output_schema = (manifest.get("output_fingerprint") or {}).get("schema") or []
    fields: dict[str, Any] = {}
    for column, info in lineage.items():
        sources = info.get("sources", [column]) if isinstance(info, Mapping) else [column]
        ops = info.get("operations", []) if isinstance(info, Mapping) else list(info)
        fields[column] = {
            "inputFields": [
                {"namespace": _NAMESPACE, "name": dataset, "field": s} for s in sources
            ],
            "transformationDescription": " → ".join(ops) if ops else "copied",
            "transformationType": "MASKED" if ops else "IDENTITY",
        }
    run_id = (
        str(uuid.uuid5(uuid.NAMESPACE_URL, f"privlab:{release_id}"))
        if release_id
        else str(uuid.uuid4())
    )
    time = event_time or dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z")
    output: dict[str, Any] = {
        "namespace": _NAMESPACE,
        "name": f"{dataset}.{kind}.{release_id or 'release'}",
        "facets": {},
    }
    if output_schema:
        output["facets"]["schema"] = {
            **_facet("SchemaDatasetFacet"),
            "fields": [{"name": n, "type": t} for n, t in output_schema],
        }
    if fields:
        output["facets"]["columnLineage"] = {
            **_facet("ColumnLineageDatasetFacet"),
            "fields": fields,
        }
    input_ds: dict[str, Any] = {"namespace": _NAMESPACE, "name": dataset, "facets": {}}
    if inputs_schema:
        input_ds["facets"]["schema"] = {
            **_facet("SchemaDatasetFacet"),
            "fields": [{"name": n, "type": t} for n, t in inputs_schema],
        }
    return {
        "eventType": "COMPLETE",
        "eventTime": time,
        "producer": _PRODUCER,
        "schemaURL": _SCHEMA_URL,
        "run": {
            "runId": run_id,
            "facets": {
                "privlab": {
                    **_facet("PrivlabRunFacet"),
                    "recipe_id": manifest.get("recipe_id"),
                    "privlab_version": manifest.get("privlab_version", __version__),
                    "kind": kind,
                }
            },
        },
        "job": {"namespace": _NAMESPACE, "name": f"privlab.{kind}.{dataset}", "facets": {}},
        "inputs": [input_ds],
        "outputs": [output],
    }
